/* SPDX-License-Identifier: MIT */
#include "netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "ioutil.h"

/* Room for any request or ACK here (MNL_SOCKET_BUFFER_SIZE is not a constant). */
enum { NL_BUF = 8192 };

/* Send one request and wait for its ACK; returns 0 or the kernel's -errno. */
static int nl_transact(struct nlmsghdr *nlh)
{
	char buf[NL_BUF];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned portid;
	ssize_t n;
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = 0;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			ret = -errno;
			break;
		}
		/* mnl_cb_run turns an NLMSG_ERROR with a non-zero code into -1/errno. */
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
		if (ret < 0)
			ret = -errno;
	} while (ret > 0);
out:
	mnl_socket_close(nl);
	return ret;
}

int wg_nl_link_up(unsigned ifindex, uint32_t mtu, uint32_t txqlen)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	return nl_transact(nlh);
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int wg_nl_addr(unsigned ifindex, const struct wg_prefix *p, bool add)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	if (!wg__prefix_valid(p))
		return -EINVAL;
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->cidr;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* A TUN has no link layer to probe: skip IPv6 duplicate address detection. */
	ifa->ifa_flags = p->family == AF_INET6 ? IFA_F_NODAD : 0;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(p->family), p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(p->family), p->addr);
	mnl_attr_put_u32(nlh, IFA_FLAGS,
			 IFA_F_NOPREFIXROUTE | (p->family == AF_INET6 ? IFA_F_NODAD : 0));
	return nl_transact(nlh);
}

int wg_nl_route(unsigned ifindex, const struct wg_prefix *p, bool add)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct wg_prefix dst = *p;
	struct rtmsg *rtm;

	if (!wg__prefix_valid(p))
		return -EINVAL;
	wg__prefix_mask(&dst);
	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)p->family;
	rtm->rtm_dst_len = p->cidr;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	if (dst.cidr > 0)
		mnl_attr_put(nlh, RTA_DST, addr_len(p->family), dst.addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return nl_transact(nlh);
}
