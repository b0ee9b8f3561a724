/* Guest program for the e2e suite: brings an interface up, sends COUNT raw Ethernet frames
 * to its own MAC on a local experimental ethertype (AF_PACKET) and counts the ones that come
 * back intact (the virtio-net device loops frames back). Prints key=value lines.
 * usage: netloop IFACE COUNT */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ETHERTYPE_KTSTR 0x88b5
#define FRAME_LEN 128

static int iface_up(int s, const char *ifname, unsigned char mac[6], int *ifindex)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	*ifindex = ifr.ifr_ifindex;
	return 0;
}

static void build(unsigned char *f, const unsigned char mac[6], int seq)
{
	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ETHERTYPE_KTSTR >> 8;
	f[13] = ETHERTYPE_KTSTR & 0xff;
	for (int i = 14; i < FRAME_LEN; i++)
		f[i] = (unsigned char)(seq * 31 + i);
}

int main(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = 3 };
	unsigned char mac[6], frame[FRAME_LEN], got[2048];
	int s, ifindex, count, received = 0, intact = 0;

	if (argc != 3 || (count = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: netloop IFACE COUNT\n");
		return 2;
	}
	s = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_KTSTR));
	if (s < 0 || iface_up(s, argv[1], mac, &ifindex) < 0) {
		fprintf(stderr, "netloop: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int seq = 0; seq < count; seq++) {
		struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6,
					  .sll_protocol = htons(ETHERTYPE_KTSTR) };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		memcpy(to.sll_addr, mac, 6);
		build(frame, mac, seq);
		if (sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(frame)) {
			fprintf(stderr, "netloop: send: %s\n", strerror(errno));
			break;
		}
		n = recvfrom(s, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		received++;
		if (n == FRAME_LEN && memcmp(got, frame, FRAME_LEN) == 0)
			intact++;
	}
	printf("mac=%02x:%02x:%02x:%02x:%02x:%02x\nsent=%d\nreceived=%d\nintact=%d\n", mac[0], mac[1],
	       mac[2], mac[3], mac[4], mac[5], count, received, intact);
	return intact == count ? 0 : 1;
}
