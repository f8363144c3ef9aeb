# objects of the ledger layer, one a line
LIB_OBJS += src/ledger/asset.o
LIB_OBJS += src/ledger/change.o
LIB_OBJS += src/ledger/store.o
LIB_OBJS += src/ledger/csv.o
LIB_OBJS += src/ledger/sign.o
LIB_OBJS += src/ledger/approval.o
LIB_OBJS += src/ledger/sqlite.o
LIB_OBJS += src/ledger/pg.o
LIB_OBJS += src/ledger/cases.o
LIB_OBJS += src/ledger/copy.o
LIB_OBJS += src/ledger/lifecycle.o
LIB_OBJS += src/ledger/csvmap.o
LIB_OBJS += src/ledger/archive.o
