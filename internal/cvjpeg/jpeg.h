// JPEG to and from pixel buffers through libjpeg(-turbo), with libjpeg's
// errors turned into return codes instead of exit().
#ifndef TRYON_JPEG_H
#define TRYON_JPEG_H

#include <stddef.h>

#define TRYON_JPEG_MSG 200

// tryon_jpeg_decode decodes src into dst, rows packed (stride = width *
// components), BGR for 3 components and gray for 1, scaled by 1/denom
// (1, 2, 4 or 8) with libjpeg's DCT scaling. dst is *width by *height
// pixels, or NULL. It returns 0 on success; 1, having decoded nothing, when
// the output is not dst's size; -1 on error, with a message. *width and
// *height are the output's size on return.
int tryon_jpeg_decode(const unsigned char *src, size_t n, int components, int denom,
                      unsigned char *dst, int *width, int *height, char *msg);

// tryon_jpeg_encode encodes packed BGR (components 3) or gray (1) pixels.
// On success (0) *out is a malloc'd buffer of *out_len bytes the caller
// frees with free(); on error (-1) msg says why.
int tryon_jpeg_encode(const unsigned char *pix, int width, int height, size_t stride,
                      int components, int quality, int progressive,
                      unsigned char **out, unsigned long *out_len, char *msg);

// tryon_jpeg_encode_i420 encodes a width x height I420 picture (planar Y,
// then U and V at half size each way; width and height even) in OpenCV's
// BT.601 limited range, mapped to JFIF's full range, straight from its
// planes: no conversion to BGR and back to YCbCr. Output as
// tryon_jpeg_encode's.
int tryon_jpeg_encode_i420(const unsigned char *yuv, int width, int height, int quality,
                           unsigned char **out, unsigned long *out_len, char *msg);

// tryon_jpeg_decode_yuv420 decodes src's YCbCr planes as they are stored:
// no upsampling, no conversion. y is width x height, cb and cr half that
// each way, rows packed. It returns 0 on success; 1, having decoded
// nothing, when the planes are not the picture's size (*width and *height
// say what it is); 2 when the picture is not YCbCr 4:2:0 with a width a
// multiple of 16 and an even height; -1 on error, with a message.
int tryon_jpeg_decode_yuv420(const unsigned char *src, size_t n, unsigned char *y, unsigned char *cb,
                             unsigned char *cr, int *width, int *height, char *msg);

// tryon_jpeg_encode_yuv420 encodes planes as tryon_jpeg_decode_yuv420
// makes them (full range). Output as tryon_jpeg_encode's.
int tryon_jpeg_encode_yuv420(const unsigned char *y, const unsigned char *cb, const unsigned char *cr, int width,
                             int height, int quality, unsigned char **out, unsigned long *out_len, char *msg);

// tryon_yuv420_to_bgr converts the planes' rectangle [x0, x1) x [y0, y1)
// (even corners) into the same pixels of a BGR picture, chroma repeated
// over each 2x2 block; tryon_bgr_to_yuv420 converts it back, each block's
// chroma from its mean colour. A block converted there and back keeps its
// values, within rounding.
void tryon_yuv420_to_bgr(const unsigned char *y, const unsigned char *cb, const unsigned char *cr, int width,
                         int x0, int y0, int x1, int y1, unsigned char *bgr, size_t bgr_stride);
void tryon_bgr_to_yuv420(const unsigned char *bgr, size_t bgr_stride, int width, int x0, int y0, int x1, int y1,
                         unsigned char *y, unsigned char *cb, unsigned char *cr);

#endif
