# objects of the cert layer, one a line
LIB_OBJS += src/cert/record.o
LIB_OBJS += src/cert/evidence.o
LIB_OBJS += src/cert/render.o
LIB_OBJS += src/cert/pdfparse.o
LIB_OBJS += src/cert/sign.o
LIB_OBJS += src/cert/verify.o
LIB_OBJS += src/cert/verify-cms.o
LIB_OBJS += src/cert/verify-trust.o
LIB_OBJS += src/cert/smart.o
LIB_OBJS += src/cert/verify-custody.o
LIB_OBJS += src/cert/verify-report.o
