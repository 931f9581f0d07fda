#include "vpx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

struct tryon_vp8_encoder {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	int width, height;
	uint8_t *frame;  // the last encoded frame, owned here
	size_t frame_cap;
};

tryon_vp8_encoder *tryon_vp8_encoder_new(int width, int height, int kbps, int keyframe_interval) {
	tryon_vp8_encoder *e = calloc(1, sizeof *e);
	if (!e) return NULL;
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) {
		free(e);
		return NULL;
	}
	e->width = width;
	e->height = height;
	e->cfg.g_w = (unsigned)width;
	e->cfg.g_h = (unsigned)height;
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = 1000;  // pts in milliseconds
	e->cfg.g_threads = 1;          // the worker pool is the parallelism
	e->cfg.g_lag_in_frames = 0;    // every frame out as soon as it is in
	e->cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;  // a lost packet spoils less
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_target_bitrate = (unsigned)kbps;
	e->cfg.rc_min_quantizer = 4;
	e->cfg.rc_max_quantizer = 56;
	e->cfg.rc_undershoot_pct = 100;
	e->cfg.rc_overshoot_pct = 15;
	e->cfg.rc_buf_initial_sz = 500;  // ms, as WebRTC's own VP8 settings
	e->cfg.rc_buf_optimal_sz = 600;
	e->cfg.rc_buf_sz = 1000;
	e->cfg.rc_dropframe_thresh = 0;  // the pipeline already chose which frames to send
	e->cfg.kf_mode = VPX_KF_AUTO;
	e->cfg.kf_min_dist = 0;
	e->cfg.kf_max_dist = (unsigned)keyframe_interval;
	if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) {
		free(e);
		return NULL;
	}
	// Real-time speed: -6 is WebRTC's setting for desktops; the encoder
	// then adapts its effort to meet the deadline.
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -6);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
	return e;
}

void tryon_vp8_encoder_free(tryon_vp8_encoder *e) {
	if (!e) return;
	vpx_codec_destroy(&e->ctx);
	free(e->frame);
	free(e);
}

int tryon_vp8_encoder_set_bitrate(tryon_vp8_encoder *e, int kbps) {
	e->cfg.rc_target_bitrate = (unsigned)kbps;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg) == VPX_CODEC_OK ? 0 : -1;
}

int tryon_vp8_encode(tryon_vp8_encoder *e, const uint8_t *i420, int64_t pts_ms, int64_t duration_ms,
                     int force_keyframe, const uint8_t **out, size_t *out_len, int *keyframe,
                     char *msg, size_t msg_len) {
	*out = NULL;
	*out_len = 0;
	*keyframe = 0;
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, (unsigned)e->width, (unsigned)e->height, 1, (unsigned char *)i420);
	vpx_enc_frame_flags_t flags = force_keyframe ? VPX_EFLAG_FORCE_KF : 0;
	if (vpx_codec_encode(&e->ctx, &e->img, pts_ms, (unsigned long)(duration_ms > 0 ? duration_ms : 1), flags,
	                     VPX_DL_REALTIME) != VPX_CODEC_OK) {
		snprintf(msg, msg_len, "%s", vpx_codec_error(&e->ctx));
		return -1;
	}
	size_t n = 0;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		size_t sz = pkt->data.frame.sz;
		if (n + sz > e->frame_cap) {
			size_t cap = (n + sz) * 2;
			uint8_t *p = realloc(e->frame, cap);
			if (!p) {
				snprintf(msg, msg_len, "out of memory");
				return -1;
			}
			e->frame = p;
			e->frame_cap = cap;
		}
		memcpy(e->frame + n, pkt->data.frame.buf, sz);
		n += sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *keyframe = 1;
	}
	*out = e->frame;
	*out_len = n;
	return 0;
}

struct tryon_vp8_decoder {
	vpx_codec_ctx_t ctx;
	vpx_image_t *img;  // the last picture, owned by ctx
};

tryon_vp8_decoder *tryon_vp8_decoder_new(void) {
	tryon_vp8_decoder *d = calloc(1, sizeof *d);
	if (!d) return NULL;
	vpx_codec_dec_cfg_t cfg = {.threads = 1};
	if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
		free(d);
		return NULL;
	}
	return d;
}

void tryon_vp8_decoder_free(tryon_vp8_decoder *d) {
	if (!d) return;
	vpx_codec_destroy(&d->ctx);
	free(d);
}

int tryon_vp8_decode(tryon_vp8_decoder *d, const uint8_t *data, size_t len, int *width, int *height,
                     char *msg, size_t msg_len) {
	d->img = NULL;
	if (vpx_codec_decode(&d->ctx, data, (unsigned)len, NULL, 0) != VPX_CODEC_OK) {
		const char *detail = vpx_codec_error_detail(&d->ctx);
		snprintf(msg, msg_len, "%s%s%s", vpx_codec_error(&d->ctx), detail ? ": " : "", detail ? detail : "");
		return -1;
	}
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img, *last = NULL;
	while ((img = vpx_codec_get_frame(&d->ctx, &iter)) != NULL) last = img;
	if (!last || last->fmt != VPX_IMG_FMT_I420) return 1;
	d->img = last;
	*width = (int)last->d_w;
	*height = (int)last->d_h;
	return 0;
}

void tryon_vp8_copy_i420(tryon_vp8_decoder *d, uint8_t *dst) {
	const vpx_image_t *img = d->img;
	int w = (int)img->d_w, h = (int)img->d_h;
	for (int plane = 0; plane < 3; plane++) {
		int pw = plane ? w / 2 : w, ph = plane ? h / 2 : h;
		const uint8_t *src = img->planes[plane];
		for (int y = 0; y < ph; y++) {
			memcpy(dst, src + (size_t)y * (size_t)img->stride[plane], (size_t)pw);
			dst += pw;
		}
	}
}
