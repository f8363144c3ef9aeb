# objects of the trust layer, one a line
# ICU (libicu-dev) for Unicode NFC in canonical JSON
PKG_CFLAGS += $(shell $(PKG_CONFIG) --cflags icu-uc)
PKG_LIBS += $(shell $(PKG_CONFIG) --libs icu-uc)
LIB_OBJS += src/trust/canon.o
LIB_OBJS += src/trust/minisig.o
LIB_OBJS += src/trust/seckey.o
LIB_OBJS += src/trust/sign.o
LIB_OBJS += src/trust/roster.o
LIB_OBJS += src/trust/enroll.o
LIB_OBJS += src/trust/state.o
LIB_OBJS += src/trust/verify.o
LIB_OBJS += src/trust/x509.o
