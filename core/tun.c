/* SPDX-License-Identifier: MIT */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ioutil.h"

int wg_tun_open(const char *name, char *actual, unsigned *ifindex, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, ret;

	if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
	    strchr(name, '%') || strchr(name, ' '))
		return wg__err(err, errlen, -EINVAL,
			       "interface name '%.32s': 1 to %d characters, no '/', '%%' or space",
			       name, IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return wg__err(err, errlen, ret, "cannot open /dev/net/tun: %s%s", strerror(-ret),
			       ret == -EACCES || ret == -EPERM ? " (run as root)" : "");
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return wg__err(err, errlen, ret, "cannot create TUN interface %s: %s%s", name,
			       strerror(-ret),
			       ret == -EBUSY || ret == -EINVAL ? " (the name is in use)"
			       : ret == -EPERM		       ? " (needs CAP_NET_ADMIN)"
							       : "");
	}
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	*ifindex = if_nametoindex(actual);
	if (*ifindex == 0) {
		ret = -errno;
		close(fd);
		return wg__err(err, errlen, ret, "TUN interface %s has no index: %s", actual,
			       strerror(-ret));
	}
	return fd;
}
