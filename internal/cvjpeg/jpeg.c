#include "jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

// error_mgr makes libjpeg's fatal errors return to the caller through
// longjmp rather than exit the process, its default.
struct error_mgr {
	struct jpeg_error_mgr pub;
	jmp_buf escape;
	char *msg;
};

static void on_fatal(j_common_ptr c) {
	struct error_mgr *e = (struct error_mgr *)c->err;
	char buf[JMSG_LENGTH_MAX];
	(*c->err->format_message)(c, buf);
	snprintf(e->msg, TRYON_JPEG_MSG, "%s", buf);
	longjmp(e->escape, 1);
}

// Warnings, such as a file cut short (libjpeg pads it with gray), are not
// errors: OpenCV's decoder, which this replaces, ignored them too.
static void on_message(j_common_ptr c, int level) {
	(void)c;
	(void)level;
}

// errors sets e up for a (de)compressor: fatal errors to e->escape, with
// their text in msg; warnings ignored.
static struct jpeg_error_mgr *errors(struct error_mgr *e, char *msg) {
	jpeg_std_error(&e->pub);
	e->pub.error_exit = on_fatal;
	e->pub.emit_message = on_message;
	e->msg = msg;
	return &e->pub;
}

int tryon_jpeg_decode(const unsigned char *src, size_t n, int components, int denom,
                      unsigned char *dst, int *width, int *height, char *msg) {
	int dst_width = *width, dst_height = *height;
	struct jpeg_decompress_struct cinfo;
	struct error_mgr err;
	cinfo.err = errors(&err, msg);
	if (setjmp(err.escape)) {
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, src, (unsigned long)n);
	jpeg_read_header(&cinfo, TRUE);
	// The same output as OpenCV's imdecode: libjpeg-turbo's BGR order, the
	// accurate integer IDCT and fancy upsampling (libjpeg's defaults).
	cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
	cinfo.scale_num = 1;
	cinfo.scale_denom = (unsigned int)denom;
	jpeg_calc_output_dimensions(&cinfo);
	*width = (int)cinfo.output_width;
	*height = (int)cinfo.output_height;
	size_t stride = (size_t)cinfo.output_width * (size_t)components;
	if (dst == NULL || *width != dst_width || *height != dst_height) {
		jpeg_destroy_decompress(&cinfo);
		return 1;
	}
	jpeg_start_decompress(&cinfo);
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = dst + (size_t)cinfo.output_scanline * stride;
		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

int tryon_jpeg_encode(const unsigned char *pix, int width, int height, size_t stride,
                      int components, int quality, int progressive,
                      unsigned char **out, unsigned long *out_len, char *msg) {
	struct jpeg_compress_struct cinfo;
	struct error_mgr err;
	*out = NULL;
	*out_len = 0;
	cinfo.err = errors(&err, msg);
	if (setjmp(err.escape)) {
		jpeg_destroy_compress(&cinfo);
		free(*out);
		*out = NULL;
		return -1;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, out, out_len);
	cinfo.image_width = (JDIMENSION)width;
	cinfo.image_height = (JDIMENSION)height;
	cinfo.input_components = components;
	cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
	// OpenCV's imencode settings, so the bytes are the same as before:
	// libjpeg's defaults (4:2:0 chroma, Huffman tables not optimised) at
	// the given quality, baseline tables.
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	if (progressive) {
		jpeg_simple_progression(&cinfo);
	}
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = (JSAMPROW)(pix + (size_t)cinfo.next_scanline * stride);
		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	return 0;
}

// full_range maps limited-range ("video", BT.601) samples to the full
// range JFIF's YCbCr means: luma 16..235 and chroma 16..240 to 0..255.
static void full_range(unsigned char y[256], unsigned char c[256]) {
	for (int v = 0; v < 256; v++) {
		int l = ((v - 16) * 255 + 109) / 219;
		int ch = 128 + ((v - 128) * 255 + (v >= 128 ? 112 : -112)) / 224;
		y[v] = (unsigned char)(l < 0 ? 0 : l > 255 ? 255 : l);
		c[v] = (unsigned char)(ch < 0 ? 0 : ch > 255 ? 255 : ch);
	}
}

// copy_rows fills rows[0..n) of a padded plane from src (w x h, packed),
// from row y0, mapped through lut; columns past w and rows past h repeat
// the last ones, as libjpeg's own edge expansion does.
static void copy_rows(JSAMPROW *rows, int n, int padded, const unsigned char *src, int w, int h, int y0,
                      const unsigned char lut[256]) {
	for (int i = 0; i < n; i++) {
		int y = y0 + i < h ? y0 + i : h - 1;
		const unsigned char *s = src + (size_t)y * w;
		JSAMPROW d = rows[i];
		for (int x = 0; x < w; x++) {
			d[x] = lut[s[x]];
		}
		for (int x = w; x < padded; x++) {
			d[x] = d[w - 1];
		}
	}
}

int tryon_jpeg_encode_i420(const unsigned char *yuv, int width, int height, int quality,
                           unsigned char **out, unsigned long *out_len, char *msg) {
	struct jpeg_compress_struct cinfo;
	struct error_mgr err;
	int cw = width / 2, ch = height / 2;
	int yp = (width + 15) & ~15, cp = yp / 2; // padded to whole MCUs
	unsigned char *scratch = malloc((size_t)yp * 16 + (size_t)cp * 8 * 2);
	JSAMPROW yrows[16], urows[8], vrows[8];
	JSAMPARRAY planes[3] = {yrows, urows, vrows};
	unsigned char ylut[256], clut[256];
	const unsigned char *u = yuv + (size_t)width * height, *v = u + (size_t)cw * ch;
	*out = NULL;
	*out_len = 0;
	if (scratch == NULL) {
		snprintf(msg, TRYON_JPEG_MSG, "out of memory");
		return -1;
	}
	for (int i = 0; i < 16; i++) {
		yrows[i] = scratch + (size_t)i * yp;
	}
	for (int i = 0; i < 8; i++) {
		urows[i] = scratch + (size_t)yp * 16 + (size_t)i * cp;
		vrows[i] = scratch + (size_t)yp * 16 + (size_t)cp * 8 + (size_t)i * cp;
	}
	full_range(ylut, clut);
	cinfo.err = errors(&err, msg);
	if (setjmp(err.escape)) {
		jpeg_destroy_compress(&cinfo);
		free(*out);
		*out = NULL;
		free(scratch);
		return -1;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, out, out_len);
	cinfo.image_width = (JDIMENSION)width;
	cinfo.image_height = (JDIMENSION)height;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_YCbCr;
	jpeg_set_defaults(&cinfo); // 4:2:0, as I420 already is
	jpeg_set_quality(&cinfo, quality, TRUE);
	cinfo.raw_data_in = TRUE;
	cinfo.comp_info[0].h_samp_factor = 2;
	cinfo.comp_info[0].v_samp_factor = 2;
	for (int i = 1; i < 3; i++) {
		cinfo.comp_info[i].h_samp_factor = 1;
		cinfo.comp_info[i].v_samp_factor = 1;
	}
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		int y0 = (int)cinfo.next_scanline;
		copy_rows(yrows, 16, yp, yuv, width, height, y0, ylut);
		copy_rows(urows, 8, cp, u, cw, ch, y0 / 2, clut);
		copy_rows(vrows, 8, cp, v, cw, ch, y0 / 2, clut);
		jpeg_write_raw_data(&cinfo, planes, 16);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	free(scratch);
	return 0;
}
