# objects of the erase layer, one a line
LIB_OBJS += src/erase/sample.o
