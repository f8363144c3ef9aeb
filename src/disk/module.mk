# objects of the disk layer, one a line
LIB_OBJS += src/disk/sysfs.o
LIB_OBJS += src/disk/disk.o
LIB_OBJS += src/disk/probe.o
LIB_OBJS += src/disk/safety.o
