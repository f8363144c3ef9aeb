/* transport.c - the Linux transports: NVMe admin commands through
 * NVME_IOCTL_ADMIN_CMD and SCSI (and SAT) commands through SG_IO.
 *
 * Its job: move one command to the kernel and copy back every status it
 * returns (NVMe status, SAM status, host/driver status, sense). It must
 * never judge success itself (that is nvme_submit/scsi_submit/ata_submit)
 * and never open a device for writing unless asked for exclusive use.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "wipecert/drive.h"
#include "wipecert/util.h"

#define DEFAULT_TIMEOUT_MS 60000u

static int nvme_ioctl_submit(struct drive_transport *t, struct drive_cmd *c)
{
	struct nvme_cmd *n = &c->nvme;
	struct nvme_passthru_cmd pc = {
		.opcode = n->opcode,
		.nsid = n->nsid,
		.addr = (uint64_t)(uintptr_t)n->data,
		.data_len = n->data_len,
		.cdw10 = n->cdw10, .cdw11 = n->cdw11, .cdw12 = n->cdw12,
		.cdw13 = n->cdw13, .cdw14 = n->cdw14, .cdw15 = n->cdw15,
		.timeout_ms = n->timeout_ms,
	};
	int r;

	if (c->kind != DRIVE_CMD_NVME)
		return -EINVAL;
	r = ioctl(t->fd, NVME_IOCTL_ADMIN_CMD, &pc);
	if (r < 0)
		return -errno;
	n->status = (uint16_t)r; /* > 0: the NVMe status field */
	n->result = pc.result;
	return 0;
}

static int sg_io_submit(struct drive_transport *t, struct drive_cmd *c)
{
	struct scsi_cmd *s = &c->scsi;
	sg_io_hdr_t h = {
		.interface_id = 'S',
		.cmd_len = s->cdb_len,
		.cmdp = s->cdb,
		.mx_sb_len = sizeof(s->sense),
		.sbp = s->sense,
		.dxfer_len = s->data_len,
		.dxferp = s->data,
		.timeout = s->timeout_ms ? s->timeout_ms : DEFAULT_TIMEOUT_MS,
	};

	if (c->kind != DRIVE_CMD_SCSI)
		return -EINVAL;
	h.dxfer_direction = s->dir == DRIVE_DIR_IN ? SG_DXFER_FROM_DEV
			    : s->dir == DRIVE_DIR_OUT ? SG_DXFER_TO_DEV : SG_DXFER_NONE;
	if (ioctl(t->fd, SG_IO, &h) < 0)
		return -errno;
	s->status = h.status;
	s->host_status = h.host_status;
	s->driver_status = h.driver_status;
	s->sense_len = h.sb_len_wr;
	s->resid = h.resid;
	return 0;
}

static void fd_close(struct drive_transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int drive_open(const char *path, bool exclusive, struct drive_transport **ret)
{
	_cleanup_close_ int fd = -1;
	struct drive_transport *t;
	struct stat st;
	int version, nsid;

	fd = open(path, exclusive ? O_RDWR | O_EXCL | O_CLOEXEC : O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
		return -ENOTBLK;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->path = strdup(path);
	if (!t->path) {
		free(t);
		return -ENOMEM;
	}
	nsid = ioctl(fd, NVME_IOCTL_ID);
	if (nsid > 0 || (S_ISCHR(st.st_mode) && strstr(path, "nvme"))) {
		t->submit = nvme_ioctl_submit;
		t->proto = DRIVE_PROTO_NVME;
		t->nsid = nsid > 0 ? (uint32_t)nsid : 0;
	} else if (ioctl(fd, SG_GET_VERSION_NUM, &version) == 0) {
		t->submit = sg_io_submit;
		t->proto = DRIVE_PROTO_NONE; /* drive_detect_proto() tells ATA from SCSI */
	} else {
		free(t->path);
		free(t);
		return -EOPNOTSUPP;
	}
	t->close = fd_close;
	t->fd = TAKE_FD(fd);
	*ret = t;
	return 0;
}

void drive_close(struct drive_transport *t)
{
	if (!t)
		return;
	if (t->close)
		t->close(t);
	free(t->path);
	free(t);
}
