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

// copy_rows fills rows[0..n) of a padded plane from src (w x h, rows
// stride apart), from row y0, mapped through lut; columns past w and rows
// past h repeat the last ones, as libjpeg's own edge expansion does.
static void copy_rows(JSAMPROW *rows, int n, int padded, const unsigned char *src, size_t stride, int w, int h,
                      int y0, const unsigned char lut[256]) {
	for (int i = 0; i < n; i++) {
		int y = y0 + i < h ? y0 + i : h - 1;
		const unsigned char *s = src + (size_t)y * stride;
		JSAMPROW d = rows[i];
		for (int x = 0; x < w; x++) {
			d[x] = lut[s[x]];
		}
		for (int x = w; x < padded; x++) {
			d[x] = d[w - 1];
		}
	}
}

// point_rows points rows[0..n) at a plane's rows from y0, the last row
// standing in for those past h: no copy, for planes whose width is a whole
// number of blocks.
static void point_rows(JSAMPROW *rows, int n, const unsigned char *src, size_t stride, int h, int y0) {
	for (int i = 0; i < n; i++) {
		int y = y0 + i < h ? y0 + i : h - 1;
		rows[i] = (JSAMPROW)(src + (size_t)y * stride);
	}
}

// encode_420 encodes a width x height YCbCr 4:2:0 picture from its planes
// (both sides even; chroma width/2 x height/2), through lut when it is not
// NULL.
// Planes whose width is a multiple of 16 and need no lut are handed to
// libjpeg as they are; others are copied, 16 rows at a time, into a padded
// scratch.
static int encode_420(const unsigned char *y, size_t ys, const unsigned char *cb, const unsigned char *cr, size_t cs,
                      int width, int height, const unsigned char *ylut, const unsigned char *clut, int quality,
                      unsigned char **out, unsigned long *out_len, char *msg) {
	struct jpeg_compress_struct cinfo;
	struct error_mgr err;
	int cw = width / 2, ch = height / 2;
	int yp = (width + 15) & ~15, cp = yp / 2; // padded to whole MCUs
	int direct = ylut == NULL && width % 16 == 0;
	if (width % 2 != 0 || height % 2 != 0) { // the chroma planes are width/2 x height/2
		snprintf(msg, TRYON_JPEG_MSG, "a 4:2:0 picture of %dx%d: the sides must be even", width, height);
		*out = NULL;
		*out_len = 0;
		return -1;
	}
	unsigned char identity[256];
	unsigned char *scratch = NULL;
	JSAMPROW yrows[16], urows[8], vrows[8];
	JSAMPARRAY planes[3] = {yrows, urows, vrows};
	*out = NULL;
	*out_len = 0;
	if (!direct) {
		scratch = malloc((size_t)yp * 16 + (size_t)cp * 8 * 2);
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
		if (ylut == NULL) {
			for (int v = 0; v < 256; v++) {
				identity[v] = (unsigned char)v;
			}
			ylut = clut = identity;
		}
	}
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
	jpeg_set_defaults(&cinfo); // 4:2:0, as the planes already are
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
		if (direct) {
			point_rows(yrows, 16, y, ys, height, y0);
			point_rows(urows, 8, cb, cs, ch, y0 / 2);
			point_rows(vrows, 8, cr, cs, ch, y0 / 2);
		} else {
			copy_rows(yrows, 16, yp, y, ys, width, height, y0, ylut);
			copy_rows(urows, 8, cp, cb, cs, cw, ch, y0 / 2, clut);
			copy_rows(vrows, 8, cp, cr, cs, cw, ch, y0 / 2, clut);
		}
		jpeg_write_raw_data(&cinfo, planes, 16);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	free(scratch);
	return 0;
}

int tryon_jpeg_encode_i420(const unsigned char *yuv, int width, int height, int quality,
                           unsigned char **out, unsigned long *out_len, char *msg) {
	unsigned char ylut[256], clut[256];
	int cw = width / 2, ch = height / 2;
	const unsigned char *u = yuv + (size_t)width * height, *v = u + (size_t)cw * ch;
	full_range(ylut, clut);
	return encode_420(yuv, (size_t)width, u, v, (size_t)cw, width, height, ylut, clut, quality, out, out_len, msg);
}

int tryon_jpeg_encode_yuv420(const unsigned char *y, const unsigned char *cb, const unsigned char *cr, int width,
                             int height, int quality, unsigned char **out, unsigned long *out_len, char *msg) {
	return encode_420(y, (size_t)width, cb, cr, (size_t)(width / 2), width, height, NULL, NULL, quality, out, out_len,
	                  msg);
}

int tryon_jpeg_decode_yuv420(const unsigned char *src, size_t n, unsigned char *y, unsigned char *cb,
                             unsigned char *cr, int *width, int *height, char *msg) {
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
	*width = (int)cinfo.image_width;
	*height = (int)cinfo.image_height;
	jpeg_component_info *c = cinfo.comp_info;
	if (cinfo.num_components != 3 || cinfo.jpeg_color_space != JCS_YCbCr || c[0].h_samp_factor != 2 ||
	    c[0].v_samp_factor != 2 || c[1].h_samp_factor != 1 || c[1].v_samp_factor != 1 || c[2].h_samp_factor != 1 ||
	    c[2].v_samp_factor != 1 || *width % 16 != 0 || *height % 2 != 0) {
		jpeg_destroy_decompress(&cinfo);
		return 2;
	}
	if (y == NULL || *width != dst_width || *height != dst_height) {
		jpeg_destroy_decompress(&cinfo);
		return 1;
	}
	int w = *width, h = *height, cw = w / 2, ch = h / 2;
	// Where rows past the picture's go: from libjpeg's own pool, which
	// jpeg_destroy_decompress frees on every path, the error's longjmp
	// included (a malloc'd pointer set after setjmp is not reliably seen
	// by the error branch, and a table the file never defines fails here
	// on every frame).
	JSAMPROW spare = (JSAMPROW)(*cinfo.mem->alloc_small)((j_common_ptr)&cinfo, JPOOL_IMAGE, (size_t)w);
	cinfo.raw_data_out = TRUE;
	cinfo.out_color_space = JCS_YCbCr;
	jpeg_start_decompress(&cinfo);
	JSAMPROW yrows[16], urows[8], vrows[8];
	JSAMPARRAY planes[3] = {yrows, urows, vrows};
	while (cinfo.output_scanline < cinfo.output_height) {
		int y0 = (int)cinfo.output_scanline;
		for (int i = 0; i < 16; i++) {
			yrows[i] = y0 + i < h ? y + (size_t)(y0 + i) * w : spare;
		}
		for (int i = 0; i < 8; i++) {
			int r = y0 / 2 + i;
			urows[i] = r < ch ? cb + (size_t)r * cw : spare;
			vrows[i] = r < ch ? cr + (size_t)r * cw : spare;
		}
		jpeg_read_raw_data(&cinfo, planes, 16);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

// Fixed-point JFIF conversion (16 fractional bits), as libjpeg's own
// jdcolor.c and jccolor.c, from tables made once: a 2x2 block's chroma
// costs four lookups, and each pixel three additions and three clamps (a
// table too). The pointers are restrict so that the compiler keeps what it
// loaded across the byte stores.
#define FIX(x) ((int)((x) * 65536.0 + 0.5))
#define HALF (1 << 15)

static int cr_r[256], cb_b[256], cr_g[256], cb_g[256]; // chroma to BGR additions, cr_g and cb_g still scaled
static int y_r[256], y_g[256], y_b[256];                // luma's parts, scaled
static unsigned char clamp_tab[256 + 256 + 512];        // clamp_tab[256 + v] is v limited to 0..255

__attribute__((constructor)) static void conversion_tables(void) {
	for (int i = 0; i < 256; i++) {
		int c = i - 128;
		cr_r[i] = (FIX(1.402) * c + HALF) >> 16;
		cb_b[i] = (FIX(1.772) * c + HALF) >> 16;
		cr_g[i] = -FIX(0.71414) * c;
		cb_g[i] = -FIX(0.34414) * c + HALF;
		y_r[i] = FIX(0.299) * i;
		y_g[i] = FIX(0.587) * i;
		y_b[i] = FIX(0.114) * i + HALF;
	}
	for (int v = -256; v < 256 + 512; v++) {
		clamp_tab[256 + v] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

void tryon_yuv420_to_bgr(const unsigned char *y, const unsigned char *cb, const unsigned char *cr, int width,
                         int x0, int y0, int x1, int y1, unsigned char *bgr, size_t bgr_stride) {
	const unsigned char *lim = clamp_tab + 256;
	int cw = width / 2;
	for (int r = y0; r < y1; r += 2) {
		const unsigned char *restrict ya = y + (size_t)r * width, *restrict yb = ya + width;
		const unsigned char *restrict u = cb + (size_t)(r / 2) * cw, *restrict v = cr + (size_t)(r / 2) * cw;
		unsigned char *restrict da = bgr + (size_t)r * bgr_stride, *restrict db = da + bgr_stride;
		for (int x = x0; x < x1; x += 2) {
			int cbv = u[x >> 1], crv = v[x >> 1];
			int addb = cb_b[cbv], addr = cr_r[crv], addg = (cb_g[cbv] + cr_g[crv]) >> 16;
			int l;
			unsigned char *restrict p = da + 3 * x, *restrict q = db + 3 * x;
			l = ya[x];
			p[0] = lim[l + addb], p[1] = lim[l + addg], p[2] = lim[l + addr];
			l = ya[x + 1];
			p[3] = lim[l + addb], p[4] = lim[l + addg], p[5] = lim[l + addr];
			l = yb[x];
			q[0] = lim[l + addb], q[1] = lim[l + addg], q[2] = lim[l + addr];
			l = yb[x + 1];
			q[3] = lim[l + addb], q[4] = lim[l + addg], q[5] = lim[l + addr];
		}
	}
}

void tryon_bgr_to_yuv420(const unsigned char *bgr, size_t bgr_stride, int width, int x0, int y0, int x1, int y1,
                         unsigned char *y, unsigned char *cb, unsigned char *cr) {
	const unsigned char *lim = clamp_tab + 256;
	int cw = width / 2;
	for (int r = y0; r < y1; r += 2) {
		const unsigned char *restrict s0 = bgr + (size_t)r * bgr_stride, *restrict s1 = s0 + bgr_stride;
		unsigned char *restrict ya = y + (size_t)r * width, *restrict yb = ya + width;
		unsigned char *restrict u = cb + (size_t)(r / 2) * cw, *restrict v = cr + (size_t)(r / 2) * cw;
		for (int x = x0; x < x1; x += 2) {
			const unsigned char *restrict a = s0 + 3 * x, *restrict b = s1 + 3 * x;
			ya[x] = (unsigned char)((y_b[a[0]] + y_g[a[1]] + y_r[a[2]]) >> 16);
			ya[x + 1] = (unsigned char)((y_b[a[3]] + y_g[a[4]] + y_r[a[5]]) >> 16);
			yb[x] = (unsigned char)((y_b[b[0]] + y_g[b[1]] + y_r[b[2]]) >> 16);
			yb[x + 1] = (unsigned char)((y_b[b[3]] + y_g[b[4]] + y_r[b[5]]) >> 16);
			// The block's mean colour, in quarters: chroma is linear in it.
			// Pure red or blue rounds up to 256: clamped.
			int B = a[0] + a[3] + b[0] + b[3], G = a[1] + a[4] + b[1] + b[4], R = a[2] + a[5] + b[2] + b[5];
			u[x >> 1] = lim[((FIX(0.5) * B - FIX(0.33126) * G - FIX(0.16874) * R + 2 * 65536) >> 18) + 128];
			v[x >> 1] = lim[((FIX(0.5) * R - FIX(0.41869) * G - FIX(0.08131) * B + 2 * 65536) >> 18) + 128];
		}
	}
}
