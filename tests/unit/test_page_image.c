/*
 * Unit tests for page images (pipeline/page_image.h) and their handover to
 * Tesseract (pipeline/ocr_engine.h).  PNGs and colour JPEGs are read a
 * band of rows at a time straight into gray: every kind of them must give
 * exactly the pixels and resolution that Leptonica's pixRead followed by
 * pixConvertTo8 gave (the OCR cache keys are hashes of them), whether read
 * by bands or left to pixRead.  Recognition may swap the page's image for Tesseract's copy:
 * the pixels must not change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <leptonica/allheaders.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "pipeline/ocr_engine.h"
#include "pipeline/page_image.h"

struct png_case {
	const char *name;
	int color, depth, interlace;
	int trns; /* a tRNS chunk (gray: one transparent level; palette: alphas) */
	int ppm;  /* pHYs pixels per metre, 0 for none */
	png_uint_32 w, h;
};

/* A deterministic pattern with every sample value and some structure. */
static unsigned sample(png_uint_32 x, png_uint_32 y, int c, int maxval)
{
	unsigned v = (x * 7u + y * 13u + (unsigned)c * 101u + ((x ^ y) & 31u) * 3u) % 65536u;
	return v % ((unsigned)maxval + 1u);
}

static void write_png(const char *path, const struct png_case *pc)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	assert_non_null(info);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng could not write %s", pc->name);
	png_init_io(png, fp);
	png_set_IHDR(png, info, pc->w, pc->h, pc->depth, pc->color, pc->interlace,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	int channels = pc->color == PNG_COLOR_TYPE_RGB          ? 3
		       : pc->color == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
		       : pc->color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
								: 1;
	int maxval = (1 << pc->depth) - 1;
	if (pc->color == PNG_COLOR_TYPE_PALETTE) {
		png_color palette[256];
		png_byte alpha[256];
		int n = 1 << pc->depth;
		for (int i = 0; i < n; i++) {
			palette[i] = (png_color){ (png_byte)(i * 37), (png_byte)(255 - i),
						  (png_byte)(i * 11) };
			alpha[i] = (png_byte)(i * 5);
		}
		png_set_PLTE(png, info, palette, n);
		if (pc->trns)
			png_set_tRNS(png, info, alpha, n / 2, NULL);
	} else if (pc->trns) {
		png_color_16 level = { .gray = 0 };
		png_set_tRNS(png, info, NULL, 0, &level);
	}
	if (pc->ppm)
		png_set_pHYs(png, info, (png_uint_32)pc->ppm, (png_uint_32)pc->ppm,
			     PNG_RESOLUTION_METER);
	png_write_info(png, info);
	int bytes = pc->depth == 16 ? 2 : 1;
	size_t rowbytes = pc->depth < 8 ? (pc->w * (size_t)pc->depth + 7) / 8
					: pc->w * (size_t)channels * (size_t)bytes;
	png_byte *row = calloc(rowbytes, 1);
	int passes = png_set_interlace_handling(png);
	for (int p = 0; p < passes; p++) {
		for (png_uint_32 y = 0; y < pc->h; y++) {
			memset(row, 0, rowbytes);
			for (png_uint_32 x = 0; x < pc->w; x++)
				for (int c = 0; c < channels; c++) {
					unsigned v = sample(x, y, c, maxval);
					if (pc->depth < 8) {
						size_t bit = x * (size_t)pc->depth;
						row[bit / 8] |= (png_byte)(v
									   << (8 - pc->depth - bit % 8));
					} else if (bytes == 2) {
						row[(x * channels + c) * 2] = (png_byte)(v >> 8);
						row[(x * channels + c) * 2 + 1] = (png_byte)v;
					} else {
						row[x * channels + c] = (png_byte)v;
					}
				}
			png_write_row(png, row);
		}
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	assert_int_equal(fclose(fp), 0);
}

/* What page images were before bands: pixRead, then gray as load_image_page made it. */
static PIX *read_as_before(const char *path, int *dpi)
{
	PIX *pix = pixRead(path);
	assert_non_null(pix);
	PIX *gray = pixGetDepth(pix) == 8 && !pixGetColormap(pix) ? pixClone(pix)
								  : pixConvertTo8(pix, 0);
	*dpi = pixGetXRes(pix);
	pixDestroy(&pix);
	assert_non_null(gray);
	return gray;
}

static void test_png_same_pixels_as_pixread(void **state)
{
	static const struct png_case cases[] = {
		{ "gray 8", PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, 0, 11811, 131, 200 },
		{ "gray 16", PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, 0, 0, 77, 65 },
		{ "gray+alpha 8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, 0, 0, 90, 130 },
		{ "gray+alpha 16", PNG_COLOR_TYPE_GRAY_ALPHA, 16, PNG_INTERLACE_NONE, 0, 0, 33, 64 },
		{ "rgb 8", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, 0, 23622, 257, 129 },
		{ "rgb 16", PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, 0, 0, 100, 70 },
		{ "rgba 8", PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, 0, 0, 64, 191 },
		{ "rgba 16", PNG_COLOR_TYPE_RGB_ALPHA, 16, PNG_INTERLACE_NONE, 0, 0, 45, 66 },
		{ "palette 8", PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, 0, 3937, 150, 140 },
		/* Left to pixRead: */
		{ "palette 4", PNG_COLOR_TYPE_PALETTE, 4, PNG_INTERLACE_NONE, 0, 0, 99, 70 },
		{ "palette 8 + tRNS", PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, 1, 0, 80, 80 },
		{ "gray 1", PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, 0, 0, 203, 67 },
		{ "gray 2", PNG_COLOR_TYPE_GRAY, 2, PNG_INTERLACE_NONE, 0, 0, 61, 67 },
		{ "gray 8 + tRNS", PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, 1, 0, 60, 60 },
		{ "rgb 8 interlaced", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, 0, 0, 97, 83 },
	};
	char path[] = "/tmp/ragops-test-png-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct config cfg;
	config_init(&cfg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct png_case *pc = &cases[i];
		write_png(path, pc);
		int dpi_before;
		PIX *before = read_as_before(path, &dpi_before);
		struct page_image img;
		struct strbuf err = STRBUF_INIT;
		if (page_image_load(NULL, path, TYPE_PNG, 1, &cfg, &img, &err))
			fail_msg("%s: %s", pc->name, err.buf);
		l_int32 same = 0;
		pixEqual(before, img.pix, &same);
		if (!same || pixGetDepth(img.pix) != 8 || pixGetColormap(img.pix))
			fail_msg("%s: not the pixels pixRead gave", pc->name);
		/* The resolution as before (the same rule for a missing one). */
		int expected = dpi_before >= 100 && dpi_before <= 2400 ? dpi_before
								       : (int)cfg.ocr.image_dpi;
		if (img.dpi != expected)
			fail_msg("%s: %d dpi, wanted %d", pc->name, img.dpi, expected);
		/* Row padding included: the hash covers whole words. */
		l_int32 wpl = pixGetWpl(before), h = pixGetHeight(before);
		if (memcmp(pixGetData(before), pixGetData(img.pix), (size_t)wpl * 4 * (size_t)h))
			fail_msg("%s: the padding differs", pc->name);
		page_image_release(&img);
		pixDestroy(&before);
		strbuf_release(&err);
	}
	config_release(&cfg);
	unlink(path);
}

/* page_image_load of `path` against pixRead, pixel for pixel and in resolution. */
static void assert_same_as_before(const char *path, enum doc_type type, const char *name)
{
	struct config cfg;
	config_init(&cfg);
	int dpi_before;
	PIX *before = read_as_before(path, &dpi_before);
	struct page_image img;
	struct strbuf err = STRBUF_INIT;
	if (page_image_load(NULL, path, type, 1, &cfg, &img, &err))
		fail_msg("%s: %s", name, err.buf);
	l_int32 same = 0;
	pixEqual(before, img.pix, &same);
	if (!same || pixGetDepth(img.pix) != 8 || pixGetColormap(img.pix))
		fail_msg("%s: not the pixels pixRead gave", name);
	int expected = dpi_before >= 100 && dpi_before <= 2400 ? dpi_before : (int)cfg.ocr.image_dpi;
	if (img.dpi != expected)
		fail_msg("%s: %d dpi, wanted %d", name, img.dpi, expected);
	page_image_release(&img);
	pixDestroy(&before);
	strbuf_release(&err);
	config_release(&cfg);
}

static void test_jpeg_same_pixels_as_pixread(void **state)
{
	static const struct {
		const char *name;
		int depth, progressive, dpi;
		l_int32 w, h;
	} cases[] = {
		{ "rgb", 32, 0, 300, 131, 200 },
		{ "rgb progressive", 32, 1, 0, 257, 129 },
		{ "rgb 600 dpi", 32, 0, 600, 64, 65 },
		{ "gray (left to pixRead)", 8, 0, 150, 99, 70 },
	};
	char path[] = "/tmp/ragops-test-jpg-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PIX *pix = pixCreate(cases[i].w, cases[i].h, cases[i].depth);
		assert_non_null(pix);
		for (l_int32 y = 0; y < cases[i].h; y++)
			for (l_int32 x = 0; x < cases[i].w; x++) {
				if (cases[i].depth == 8) {
					pixSetPixel(pix, x, y,
						    sample((png_uint_32)x, (png_uint_32)y, 0, 255));
					continue;
				}
				l_uint32 v;
				composeRGBPixel((l_int32)sample((png_uint_32)x, (png_uint_32)y, 0, 255),
						(l_int32)sample((png_uint_32)x, (png_uint_32)y, 1, 255),
						(l_int32)sample((png_uint_32)x, (png_uint_32)y, 2, 255),
						&v);
				pixSetPixel(pix, x, y, v);
			}
		pixSetResolution(pix, cases[i].dpi, cases[i].dpi);
		assert_int_equal(pixWriteJpeg(path, pix, 80, cases[i].progressive), 0);
		pixDestroy(&pix);
		assert_same_as_before(path, TYPE_JPEG, cases[i].name);
	}
	/* Cut short: libjpeg fills the rest with gray and warns; refused, as pixRead (1.82) does. */
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	assert_int_equal(fclose(fp), 0);
	PIX *pix = pixCreate(300, 300, 32);
	assert_non_null(pix);
	for (l_int32 y = 0; y < 300; y++)
		for (l_int32 x = 0; x < 300; x++)
			pixSetPixel(pix, x, y,
				    (l_uint32)sample((png_uint_32)x, (png_uint_32)y, 0, 65535) << 8);
	assert_int_equal(pixWriteJpeg(path, pix, 90, 0), 0);
	pixDestroy(&pix);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(truncate(path, size * 3 / 5), 0);
	struct config cfg;
	struct page_image img;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	assert_int_equal(page_image_load(NULL, path, TYPE_JPEG, 1, &cfg, &img, &err), -1);
	assert_string_equal(err.buf, "the image data is truncated or corrupt");
	assert_null(img.pix);
	strbuf_release(&err);
	config_release(&cfg);
	unlink(path);
}

static void test_png_damaged(void **state)
{
	static const struct png_case pc = {
		"rgb 8", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, 0, 0, 300, 300
	};
	char path[] = "/tmp/ragops-test-png-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_png(path, &pc);
	/* Cut in the middle of the image data. */
	FILE *fp = fopen(path, "rb+");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(truncate(path, size / 2), 0);
	struct config cfg;
	config_init(&cfg);
	struct page_image img;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(page_image_load(NULL, path, TYPE_PNG, 1, &cfg, &img, &err), -1);
	assert_string_equal(err.buf, "the image data is truncated or corrupt");
	assert_null(img.pix);
	strbuf_release(&err);
	config_release(&cfg);
	unlink(path);
}

/* Recognition keeps the page's pixels (Tesseract's copy may stand in for them). */
static void test_recognition_keeps_pixels(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	struct ocr_engine *e = ocr_engine_new(cfg.ocr.tessdata, cfg.ocr.languages, &err);
	if (!e)
		fail_msg("%s", err.buf);
	/* Dark bars on white, as a page of text looks to the layout analysis. */
	struct page_image img = { .pix = pixCreate(1200, 900, 8), .dpi = 300 };
	assert_non_null(img.pix);
	pixSetAll(img.pix);
	for (int y = 100; y < 800; y += 60)
		for (int x = 100; x < 1100; x += 50) {
			BOX *b = boxCreate(x, y, 35, 25);
			pixClearInRect(img.pix, b);
			boxDestroy(&b);
		}
	PIX *copy = pixCopy(NULL, img.pix);
	for (int psm = 0; psm < 2; psm++) {
		struct ocr_result r;
		assert_int_equal(ocr_engine_read(e, &img, psm ? OCR_PSM_SINGLE_BLOCK : OCR_PSM_AUTO, 60,
						 60, &r, &err),
				 0);
		ocr_result_release(&r);
		l_int32 same = 0;
		pixEqual(copy, img.pix, &same);
		assert_true(same);
	}
	pixDestroy(&copy);
	page_image_release(&img);
	ocr_engine_free(e);
	strbuf_release(&err);
	config_release(&cfg);
}

int main(void)
{
	/* pixRead's notes ("converting (gray + alpha) ==> RGBA") are not failures. */
	setMsgSeverity(L_SEVERITY_NONE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png_same_pixels_as_pixread),
		cmocka_unit_test(test_png_damaged),
		cmocka_unit_test(test_jpeg_same_pixels_as_pixread),
		cmocka_unit_test(test_recognition_keeps_pixels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
