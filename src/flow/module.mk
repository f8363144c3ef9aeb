# objects of the flow layer, one a line
LIB_OBJS += src/flow/policy.o
LIB_OBJS += src/flow/case.o
LIB_OBJS += src/flow/approve.o
LIB_OBJS += src/flow/issue.o
LIB_OBJS += src/flow/certcheck.o
LIB_OBJS += src/flow/accept.o
LIB_OBJS += src/flow/destroy.o
LIB_OBJS += src/flow/audit.o
LIB_OBJS += src/flow/station.o
LIB_OBJS += src/flow/firmware.o
LIB_OBJS += src/flow/witness.o
LIB_OBJS += src/flow/custody.o
LIB_OBJS += src/flow/report.o
LIB_OBJS += src/flow/lifecycle.o
LIB_OBJS += src/flow/inspect.o
LIB_OBJS += src/flow/archive.o
LIB_OBJS += src/flow/oplog.o
