# objects of the util layer, one a line
LIB_OBJS += src/util/util.o
LIB_OBJS += src/util/csv.o
LIB_OBJS += src/util/crash.o
LIB_OBJS += src/util/jtext.o
