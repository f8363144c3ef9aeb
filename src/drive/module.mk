# objects of the drive layer, one a line
LIB_OBJS += src/drive/transport.o
LIB_OBJS += src/drive/nvme.o
LIB_OBJS += src/drive/scsi.o
LIB_OBJS += src/drive/ata.o
LIB_OBJS += src/drive/caps.o
LIB_OBJS += src/drive/methods.o
LIB_OBJS += src/drive/erase.o
