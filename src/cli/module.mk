# the command-line layer: linked into the binary only, never into libwipecert.a
CLI_OBJS += src/cli/log.o
CLI_OBJS += src/cli/cert.o
CLI_OBJS += src/cli/verify.o
CLI_OBJS += src/cli/list.o
CLI_OBJS += src/cli/passphrase.o
CLI_OBJS += src/cli/key.o
CLI_OBJS += src/cli/trust.o
CLI_OBJS += src/cli/ledger.o
CLI_OBJS += src/cli/wipe.o
CLI_OBJS += src/cli/resume.o
CLI_OBJS += src/cli/wiperun.o
CLI_OBJS += src/cli/drive.o
CLI_OBJS += src/cli/approve.o
CLI_OBJS += src/cli/accept.o
CLI_OBJS += src/cli/destroy.o
CLI_OBJS += src/cli/audit.o
CLI_OBJS += src/cli/sync.o
