/* The TLV result stream a payload writes to virtio-console port 1: a 16-byte little-endian
 * header {u32 type, u32 length, u32 CRC-32 (zlib's) of the payload, u32 0}, then the
 * payload. Types are four ASCII characters read as a big-endian word ("EXIT" = 0x45584954).
 * The guest library (guest/ktstr.h) writes the same tags. */
#ifndef KTSTR_IPC_TLV_H
#define KTSTR_IPC_TLV_H

#include <stdbool.h>
#include <stdint.h>

#define TLV_HEADER_LEN   16u
#define TLV_MAX_PAYLOAD  (1u << 20)   /* larger frames are treated as garbage */

#define TLV_EXIT 0x45584954u   /* "EXIT": the payload's exit status, i32 */
#define TLV_TEST 0x54455354u   /* "TEST": a test result */
#define TLV_SCST 0x53435354u   /* "SCST": scheduler stats */
#define TLV_SCEN 0x5343454Eu   /* "SCEN": scenario */
#define TLV_STIM 0x5354494Du   /* "STIM": stimulus */
#define TLV_SCDX 0x53434458u   /* "SCDX": the scheduler exited */
#define TLV_PMET 0x504d4554u   /* "PMET": a metric */
#define TLV_RAWO 0x5241574fu   /* "RAWO": raw output */
#define TLV_PRAW 0x50524157u   /* "PRAW": LLVM profraw data (written to a directory) */

bool tlv_type_known(uint32_t type);

/* The tag as text ("EXIT"); "????" for an unknown type. */
const char *tlv_type_name(uint32_t type);

#endif
