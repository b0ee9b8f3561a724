/* libktstr: what a test payload links to send results to the host. Frames go to the
 * virtio-console port named "ktstr.tlv" (/dev/vport0p1 on ktstr-vmm): a 16-byte little-endian
 * header {type, length, CRC-32 of the payload, 0} and the payload. The host parses them
 * into --results JSON; EXIT sets the run's status when the init did not report one. */
#ifndef KTSTR_GUEST_KTSTR_H
#define KTSTR_GUEST_KTSTR_H

#include <stddef.h>
#include <stdint.h>

#define KTSTR_TLV_EXIT 0x45584954u   /* "EXIT" */
#define KTSTR_TLV_TEST 0x54455354u   /* "TEST" */
#define KTSTR_TLV_SCST 0x53435354u   /* "SCST" */
#define KTSTR_TLV_SCEN 0x5343454Eu   /* "SCEN" */
#define KTSTR_TLV_STIM 0x5354494Du   /* "STIM" */
#define KTSTR_TLV_SCDX 0x53434458u   /* "SCDX" */
#define KTSTR_TLV_PMET 0x504d4554u   /* "PMET" */
#define KTSTR_TLV_RAWO 0x5241574fu   /* "RAWO" */
#define KTSTR_TLV_PRAW 0x50524157u   /* "PRAW" */

#define KTSTR_TLV_HEADER 16u
#define KTSTR_TLV_MAX    (1u << 20)
#define KTSTR_PORT_NAME  "ktstr.tlv"

/* CRC-32 (IEEE 802.3, as zlib's crc32()). */
uint32_t ktstr_crc32(const void *buf, size_t len);

/* Fills a frame header for the payload. */
void ktstr_frame_header(uint8_t hdr[KTSTR_TLV_HEADER], uint32_t type, const void *buf, uint32_t len);

/* Sends one frame; 0 or -errno (-EMSGSIZE past KTSTR_TLV_MAX, -ENODEV without the port). */
int ktstr_send(uint32_t type, const void *buf, size_t len);

/* Helpers: the exit status (i32); a test result and a metric as one-line JSON objects. */
int ktstr_send_exit(int status);
int ktstr_send_test(const char *name, int passed, const char *detail);
int ktstr_send_metric(const char *name, double value, const char *unit);

#endif
