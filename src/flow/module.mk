# objects of the flow layer, one a line
LIB_OBJS += src/flow/policy.o
