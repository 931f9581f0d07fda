// A small shim over libvpx's VP8 encoder and decoder, tuned for live video.
#ifndef TRYON_VPX_H
#define TRYON_VPX_H

#include <stddef.h>
#include <stdint.h>

typedef struct tryon_vp8_encoder tryon_vp8_encoder;
typedef struct tryon_vp8_decoder tryon_vp8_decoder;

// tryon_vp8_encoder_new returns NULL on failure.
tryon_vp8_encoder *tryon_vp8_encoder_new(int width, int height, int kbps, int keyframe_interval);
void tryon_vp8_encoder_free(tryon_vp8_encoder *e);
int tryon_vp8_encoder_set_bitrate(tryon_vp8_encoder *e, int kbps);

// tryon_vp8_encode encodes one I420 picture (the three planes packed, as
// OpenCV's COLOR_BGR2YUV_I420 writes them) at pts milliseconds. The
// encoded frame is left in the encoder: *out points to it until the next
// call, *keyframe says whether it is one. Returns 0, or -1 with msg.
int tryon_vp8_encode(tryon_vp8_encoder *e, const uint8_t *i420, int64_t pts_ms, int64_t duration_ms,
                     int force_keyframe, const uint8_t **out, size_t *out_len, int *keyframe,
                     char *msg, size_t msg_len);

tryon_vp8_decoder *tryon_vp8_decoder_new(void);
void tryon_vp8_decoder_free(tryon_vp8_decoder *d);

// tryon_vp8_decode decodes one frame. On 0 a picture is ready: its size
// is in *width and *height; tryon_vp8_copy_i420 then packs it. 1 means
// the frame gave no picture; -1 an error, with msg.
int tryon_vp8_decode(tryon_vp8_decoder *d, const uint8_t *data, size_t len, int *width, int *height,
                     char *msg, size_t msg_len);

// tryon_vp8_copy_i420 packs the last decoded picture into dst, which
// holds width*height*3/2 bytes.
void tryon_vp8_copy_i420(tryon_vp8_decoder *d, uint8_t *dst);

#endif
