# objects of the erase layer, one a line
LIB_OBJS += src/erase/sample.o
LIB_OBJS += src/erase/method.o
LIB_OBJS += src/erase/keystream.o
LIB_OBJS += src/erase/io.o
LIB_OBJS += src/erase/job.o
LIB_OBJS += src/erase/engine.o
LIB_OBJS += src/erase/target.o
LIB_OBJS += src/erase/identity.o
