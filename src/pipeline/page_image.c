/*
 * Page images for OCR; see page_image.h.
 */
#include "pipeline/page_image.h"

#include <errno.h>
#include <leptonica/allheaders.h>
#include <mupdf/fitz.h>
#include <png.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* After stdio.h: jpeglib.h needs FILE and size_t declared. */
#include <jpeglib.h>

#include "core/error.h"
#include "core/xalloc.h"
#include "pipeline/ocr_libs.h" /* after leptonica's header: see there */

struct page_loader_pool {
	fz_context *ctx;
	pthread_mutex_t mutexes[FZ_LOCK_MAX];
	fz_locks_context locks;
};

struct page_loader {
	fz_context *ctx;
};

static void lock(void *user, int n)
{
	pthread_mutex_lock(&((struct page_loader_pool *)user)->mutexes[n]);
}

static void unlock(void *user, int n)
{
	pthread_mutex_unlock(&((struct page_loader_pool *)user)->mutexes[n]);
}

static void quiet(void *user, const char *message)
{
}

struct page_loader_pool *page_loader_pool_new(void)
{
	struct page_loader_pool *pool = xcalloc(1, sizeof(*pool));
	for (int i = 0; i < FZ_LOCK_MAX; i++)
		pthread_mutex_init(&pool->mutexes[i], NULL);
	pool->locks = (fz_locks_context){ pool, lock, unlock };
	pool->ctx = fz_new_context(NULL, &pool->locks, FZ_STORE_DEFAULT);
	if (!pool->ctx)
		BUG("cannot create a MuPDF context");
	fz_set_warning_callback(pool->ctx, quiet, NULL);
	fz_set_error_callback(pool->ctx, quiet, NULL);
	fz_register_document_handlers(pool->ctx);
	return pool;
}

void page_loader_pool_free(struct page_loader_pool *pool)
{
	if (!pool)
		return;
	fz_drop_context(pool->ctx);
	for (int i = 0; i < FZ_LOCK_MAX; i++)
		pthread_mutex_destroy(&pool->mutexes[i]);
	free(pool);
}

struct page_loader *page_loader_new(struct page_loader_pool *pool)
{
	struct page_loader *pl = xcalloc(1, sizeof(*pl));
	pl->ctx = fz_clone_context(pool->ctx);
	if (!pl->ctx)
		BUG("cannot clone a MuPDF context");
	return pl;
}

void page_loader_free(struct page_loader *pl)
{
	if (!pl)
		return;
	fz_drop_context(pl->ctx);
	free(pl);
}

static int check_size(double w, double h, const struct config *cfg, struct strbuf *err)
{
	double mp = w * h / 1e6;
	if (w > cfg->ocr.max_side || h > cfg->ocr.max_side) {
		strbuf_addf(err, "the page is %.0f x %.0f pixels, over ocr.max_side (%u)", w, h,
			    cfg->ocr.max_side);
		return -1;
	}
	if (mp > cfg->ocr.max_megapixels) {
		strbuf_addf(err,
			    "the page is %.0f x %.0f pixels (%.0f megapixels), over "
			    "ocr.max_megapixels (%g)",
			    w, h, mp, cfg->ocr.max_megapixels);
		return -1;
	}
	if (w < 1 || h < 1) {
		strbuf_addstr(err, "the page has no pixels");
		return -1;
	}
	return 0;
}

int image_page_count(const char *path, enum doc_type type, int *pages, struct strbuf *err)
{
	*pages = 1;
	if (type != TYPE_TIFF)
		return 0;
	if (ocr_libs_load(err))
		return -1;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		strbuf_addf(err, "cannot open: %s", strerror(errno));
		return -1;
	}
	l_int32 n = 0;
	int rc = tiffGetCount(fp, &n);
	fclose(fp);
	if (rc || n < 1) {
		strbuf_addstr(err, "the TIFF file is damaged: its pages cannot be counted");
		return -1;
	}
	*pages = n;
	return 0;
}

/* MuPDF's gray pixmap into a Leptonica image (Leptonica packs bytes in words). */
static PIX *pix_from_pixmap(fz_context *ctx, fz_pixmap *pm)
{
	int w = fz_pixmap_width(ctx, pm), h = fz_pixmap_height(ctx, pm);
	int stride = fz_pixmap_stride(ctx, pm);
	const unsigned char *src = fz_pixmap_samples(ctx, pm);
	PIX *pix = pixCreate(w, h, 8);
	if (!pix)
		return NULL;
	l_uint32 *data = pixGetData(pix);
	l_int32 wpl = pixGetWpl(pix);
	for (int y = 0; y < h; y++) {
		l_uint32 *line = data + (size_t)y * wpl;
		const unsigned char *row = src + (size_t)y * stride;
		for (int x = 0; x < w; x++)
			SET_DATA_BYTE(line, x, row[x]);
	}
	return pix;
}

static int load_pdf_page(struct page_loader *pl, const char *path, int page_no, const struct config *cfg,
			 struct page_image *out, struct strbuf *err)
{
	fz_context *ctx = pl->ctx;
	fz_document *volatile doc = NULL;
	fz_page *volatile page = NULL;
	fz_pixmap *volatile pm = NULL;
	volatile int ret = -1;
	float scale = (float)cfg->ocr.dpi / 72.0f;
	fz_try(ctx)
	{
		/* As a PDF whatever its name: it may be /proc/self/fd/N. */
		fz_stream *stm = fz_open_file(ctx, path);
		fz_try(ctx) doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		fz_always(ctx) fz_drop_stream(ctx, stm);
		fz_catch(ctx) fz_rethrow(ctx);
		if (fz_needs_password(ctx, doc) && !fz_authenticate_password(ctx, doc, ""))
			fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF is encrypted");
		page = fz_load_page(ctx, doc, page_no - 1);
		fz_rect box = fz_bound_page(ctx, page);
		double w = (box.x1 - box.x0) * scale, h = (box.y1 - box.y0) * scale;
		if (check_size(w, h, cfg, err) == 0) {
			pm = fz_new_pixmap_from_page(ctx, page, fz_scale(scale, scale),
						     fz_device_gray(ctx), 0);
			out->pix = pix_from_pixmap(ctx, pm);
			out->dpi = (int)cfg->ocr.dpi;
			ret = out->pix ? 0 : -1;
			if (!out->pix)
				strbuf_addstr(err, "out of memory for the page image");
		}
	}
	fz_always(ctx)
	{
		fz_drop_pixmap(ctx, pm);
		fz_drop_page(ctx, page);
		fz_drop_document(ctx, doc);
	}
	fz_catch(ctx)
	{
		strbuf_addf(err, "cannot render the page: %s", fz_caught_message(ctx));
		ret = -1;
	}
	return ret;
}

/*
 * A PNG read a band of rows at a time into 8-bit gray.  Leptonica's
 * pixRead holds libpng's copy of every row and then its own image, 32-bit
 * for colour, before pixConvertTo8 makes the gray one: for a 225-megapixel
 * PNG, 433 MB at the peak when gray and 1.5 GB when RGB.  Here each band
 * is filled as pixRead fills its image and converted by the same
 * pixConvertTo8, so the pixels (and the OCR cache keys made from them)
 * are the ones pixRead gave; only the gray image stays.  Interlaced PNGs,
 * depths under 8 bits (a small image anyway) and tRNS transparency
 * (Leptonica makes those RGBA) are left to pixRead.
 */
#define IMAGE_BAND_ROWS 64

struct png_reader {
	jmp_buf jump;
};

static void png_on_error(png_structp png, png_const_charp message)
{
	longjmp(((struct png_reader *)png_get_error_ptr(png))->jump, 1);
}

static void png_on_warning(png_structp png, png_const_charp message)
{
}

/* Row `row` of the PNG into line i of the band, as pixReadStreamPng lays it out. */
static void png_fill_band(PIX *band, int i, const png_byte *row, png_uint_32 w, int channels)
{
	l_uint32 *line = pixGetData(band) + (size_t)i * pixGetWpl(band);
	if (channels == 1) {
		for (png_uint_32 x = 0; x < w; x++)
			SET_DATA_BYTE(line, x, row[x]);
		return;
	}
	/* Gray and alpha: the gray in red, green and blue. */
	int gray_alpha = channels == 2;
	for (png_uint_32 x = 0; x < w; x++, row += channels) {
		SET_DATA_BYTE(line + x, COLOR_RED, row[0]);
		SET_DATA_BYTE(line + x, COLOR_GREEN, row[gray_alpha ? 0 : 1]);
		SET_DATA_BYTE(line + x, COLOR_BLUE, row[gray_alpha ? 0 : 2]);
		if (channels == 2 || channels == 4)
			SET_DATA_BYTE(line + x, L_ALPHA_CHANNEL, row[channels - 1]);
	}
}

/*
 * 0 and the gray image with its resolution (as pixRead sets it), 1 when
 * the file is left to pixRead, -1 with the reason (damaged, out of memory).
 */
static int read_png_gray(const char *path, PIX **out, int *dpi, struct strbuf *err)
{
	struct png_reader r;
	png_structp png = NULL;
	png_infop info = NULL;
	PIX *volatile gray = NULL, *volatile band = NULL, *volatile converted = NULL;
	png_byte *volatile row = NULL;
	volatile int ret = 1;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		strbuf_addf(err, "cannot open: %s", strerror(errno));
		return -1;
	}
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, png_on_error, png_on_warning);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info)
		goto cleanup;
	if (setjmp(r.jump)) {
		/* libpng's own words ("IDAT: CRC error") are too terse for a user. */
		strbuf_addstr(err, "the image data is truncated or corrupt");
		ret = -1;
		goto cleanup;
	}
	png_init_io(png, fp);
	png_read_info(png, info);
	png_uint_32 w, h;
	int depth, color, interlace;
	png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
	int trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
	if (interlace != PNG_INTERLACE_NONE || depth < 8 ||
	    (trns && (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_PALETTE)))
		goto cleanup;
	if (depth == 16)
		png_set_strip_16(png);
	png_read_update_info(png, info);
	int channels = png_get_channels(png, info);
	row = xmalloc(png_get_rowbytes(png, info));
	gray = pixCreate((l_int32)w, (l_int32)h, 8);
	int direct = color == PNG_COLOR_TYPE_GRAY;
	band = direct ? NULL : pixCreate((l_int32)w, IMAGE_BAND_ROWS, channels == 1 ? 8 : 32);
	if (!gray || (!direct && !band)) {
		strbuf_addstr(err, "out of memory for the page image");
		ret = -1;
		goto cleanup;
	}
	if (!direct) {
		if (color == PNG_COLOR_TYPE_PALETTE) {
			png_colorp palette;
			int n = 0;
			png_get_PLTE(png, info, &palette, &n);
			PIXCMAP *cmap = pixcmapCreate(8);
			for (int i = 0; i < n; i++)
				pixcmapAddColor(cmap, palette[i].red, palette[i].green, palette[i].blue);
			pixSetColormap(band, cmap);
		}
		pixSetSpp(band, channels == 3 ? 3 : channels == 1 ? 1 : 4);
	}
	l_uint32 *data = pixGetData(gray);
	l_int32 wpl = pixGetWpl(gray);
	for (png_uint_32 y0 = 0; y0 < h; y0 += IMAGE_BAND_ROWS) {
		int n = h - y0 < IMAGE_BAND_ROWS ? (int)(h - y0) : IMAGE_BAND_ROWS;
		for (int i = 0; i < n; i++) {
			png_read_row(png, row, NULL);
			if (direct) {
				l_uint32 *line = data + (size_t)(y0 + i) * wpl;
				for (png_uint_32 x = 0; x < w; x++)
					SET_DATA_BYTE(line, x, row[x]);
			} else {
				png_fill_band(band, i, row, w, channels);
			}
		}
		if (direct)
			continue;
		converted = pixConvertTo8(band, 0);
		if (!converted) {
			strbuf_addstr(err, "the image cannot be converted to gray");
			ret = -1;
			goto cleanup;
		}
		memcpy(data + (size_t)y0 * wpl, pixGetData(converted),
		       (size_t)n * (size_t)wpl * sizeof(l_uint32));
		pixDestroy((PIX **)&converted);
	}
	png_read_end(png, NULL);
	png_uint_32 xres = png_get_x_pixels_per_meter(png, info);
	*dpi = (l_int32)((l_float32)xres / 39.37 + 0.5);
	*out = gray;
	gray = NULL;
	ret = 0;
cleanup:
	png_destroy_read_struct(&png, &info, NULL);
	pixDestroy((PIX **)&converted);
	pixDestroy((PIX **)&band);
	pixDestroy((PIX **)&gray);
	free(row);
	fclose(fp);
	return ret;
}

/*
 * A colour JPEG read the same way: pixRead makes a 32-bit image (900 MB at
 * 225 megapixels, 1.16 GB at the peak with the gray one) before
 * pixConvertTo8.  libjpeg decodes with Leptonica's settings (its defaults,
 * full scale, no quantizing), so the pixels are pixRead's.  Gray JPEGs
 * are 8 bits in pixRead already; CMYK and YCCK ones are left to it.
 */
struct jpeg_reader {
	struct jpeg_error_mgr mgr; /* first: libjpeg's err pointer is ours */
	jmp_buf jump;
};

static void jpeg_on_error(j_common_ptr cinfo)
{
	longjmp(((struct jpeg_reader *)cinfo->err)->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo)
{
}

static int read_jpeg_gray(const char *path, PIX **out, int *dpi, struct strbuf *err)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_reader r;
	PIX *volatile gray = NULL, *volatile band = NULL, *volatile converted = NULL;
	JSAMPLE *volatile row = NULL;
	volatile int ret = 1, created = 0;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		strbuf_addf(err, "cannot open: %s", strerror(errno));
		return -1;
	}
	cinfo.err = jpeg_std_error(&r.mgr);
	r.mgr.error_exit = jpeg_on_error;
	r.mgr.output_message = jpeg_quiet;
	if (setjmp(r.jump)) {
		strbuf_addstr(err, "the image data is truncated or corrupt");
		ret = -1;
		goto cleanup;
	}
	jpeg_create_decompress(&cinfo);
	created = 1;
	jpeg_stdio_src(&cinfo, fp);
	jpeg_read_header(&cinfo, TRUE);
	jpeg_calc_output_dimensions(&cinfo);
	if (cinfo.out_color_components != 3 || cinfo.jpeg_color_space == JCS_CMYK ||
	    cinfo.jpeg_color_space == JCS_YCCK)
		goto cleanup;
	cinfo.quantize_colors = FALSE;
	jpeg_start_decompress(&cinfo);
	JDIMENSION w = cinfo.output_width, h = cinfo.output_height;
	row = xmalloc((size_t)w * 3);
	gray = pixCreate((l_int32)w, (l_int32)h, 8);
	band = pixCreate((l_int32)w, IMAGE_BAND_ROWS, 32);
	if (!gray || !band) {
		strbuf_addstr(err, "out of memory for the page image");
		ret = -1;
		goto cleanup;
	}
	l_uint32 *data = pixGetData(gray);
	l_int32 wpl = pixGetWpl(gray), bwpl = pixGetWpl(band);
	for (JDIMENSION y0 = 0; y0 < h; y0 += IMAGE_BAND_ROWS) {
		int n = h - y0 < IMAGE_BAND_ROWS ? (int)(h - y0) : IMAGE_BAND_ROWS;
		for (int i = 0; i < n; i++) {
			JSAMPROW rows[1] = { row };
			if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
				strbuf_addstr(err, "the image data is truncated or corrupt");
				ret = -1;
				goto cleanup;
			}
			l_uint32 *line = pixGetData(band) + (size_t)i * bwpl;
			for (JDIMENSION x = 0; x < w; x++) {
				SET_DATA_BYTE(line + x, COLOR_RED, row[3 * x]);
				SET_DATA_BYTE(line + x, COLOR_GREEN, row[3 * x + 1]);
				SET_DATA_BYTE(line + x, COLOR_BLUE, row[3 * x + 2]);
			}
		}
		converted = pixConvertTo8(band, 0);
		if (!converted) {
			strbuf_addstr(err, "the image cannot be converted to gray");
			ret = -1;
			goto cleanup;
		}
		memcpy(data + (size_t)y0 * wpl, pixGetData(converted),
		       (size_t)n * (size_t)wpl * sizeof(l_uint32));
		pixDestroy((PIX **)&converted);
	}
	/* Damaged data only warns libjpeg (it fills in gray); pixRead refuses it. */
	if (r.mgr.num_warnings > 0) {
		strbuf_addstr(err, "the image data is truncated or corrupt");
		ret = -1;
		goto cleanup;
	}
	/* As Leptonica: dots per inch, or per centimetre converted; else unknown. */
	*dpi = cinfo.density_unit == 1   ? cinfo.X_density
	       : cinfo.density_unit == 2 ? (l_int32)((l_float32)cinfo.X_density * 2.54 + 0.5)
					 : 0;
	jpeg_finish_decompress(&cinfo);
	*out = gray;
	gray = NULL;
	ret = 0;
cleanup:
	if (created)
		jpeg_destroy_decompress(&cinfo);
	pixDestroy((PIX **)&converted);
	pixDestroy((PIX **)&band);
	pixDestroy((PIX **)&gray);
	free(row);
	fclose(fp);
	return ret;
}

/* Any image Leptonica reads, whole, then made 8-bit gray. */
static int read_gray(const char *path, enum doc_type type, int page_no, PIX **out, int *dpi,
		     struct strbuf *err)
{
	PIX *pix = type == TYPE_TIFF ? pixReadTiff(path, page_no - 1) : pixRead(path);
	if (!pix) {
		strbuf_addstr(err, "the image data is truncated or corrupt");
		return -1;
	}
	*out = pixGetDepth(pix) == 8 && !pixGetColormap(pix) ? pixClone(pix) : pixConvertTo8(pix, 0);
	*dpi = pixGetXRes(pix);
	pixDestroy(&pix);
	if (!*out) {
		strbuf_addstr(err, "the image cannot be converted to gray");
		return -1;
	}
	return 0;
}

static int load_image_page(const char *path, enum doc_type type, int page_no, const struct config *cfg,
			   struct page_image *out, struct strbuf *err)
{
	l_int32 w = 0, h = 0, bps = 0, spp = 0, res = 0, cmap = 0, format = 0;
	int rc = type == TYPE_TIFF
			 ? readHeaderTiff(path, page_no - 1, &w, &h, &bps, &spp, &res, &cmap, &format)
			 : pixReadHeader(path, &format, &w, &h, &bps, &spp, &cmap);
	if (rc) {
		strbuf_addstr(err, "the image header is damaged");
		return -1;
	}
	if (check_size(w, h, cfg, err))
		return -1;
	int dpi = 0;
	PIX *gray = NULL;
	rc = type == TYPE_PNG    ? read_png_gray(path, &gray, &dpi, err)
	     : type == TYPE_JPEG ? read_jpeg_gray(path, &gray, &dpi, err)
				 : 1;
	if (rc > 0)
		rc = read_gray(path, type, page_no, &gray, &dpi, err);
	if (rc)
		return -1;
	/* Many images carry no resolution, or 72/96 dpi from a screen tool: guess a scan's. */
	out->dpi = dpi >= 100 && dpi <= 2400 ? dpi : (int)cfg->ocr.image_dpi;
	out->pix = gray;
	return 0;
}

static void hash_pixels(struct page_image *img)
{
	struct sha256_ctx *ctx = sha256_begin();
	int dims[3] = { (int)pixGetWidth(img->pix), (int)pixGetHeight(img->pix), img->dpi };
	sha256_update(ctx, dims, sizeof(dims));
	sha256_update(ctx, pixGetData(img->pix),
		      (size_t)pixGetWpl(img->pix) * 4 * (size_t)pixGetHeight(img->pix));
	sha256_finish(ctx, img->hash);
}

int page_image_load(struct page_loader *pl, const char *path, enum doc_type type, int page_no,
		    const struct config *cfg, struct page_image *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	if (ocr_libs_load(err))
		return -1;
	int rc = type == TYPE_PDF ? load_pdf_page(pl, path, page_no, cfg, out, err)
				  : load_image_page(path, type, page_no, cfg, out, err);
	if (rc == 0)
		hash_pixels(out);
	return rc;
}

void page_image_release(struct page_image *img)
{
	if (img->pix)
		pixDestroy(&img->pix);
	img->pix = NULL;
}

int page_image_upright_rotation(const struct page_image *img)
{
	l_float32 upconf = 0, leftconf = 0;
	l_int32 orient = L_TEXT_ORIENT_UNKNOWN;
	/* The detector works on 1-bit images; half resolution is plenty and 4x faster. */
	PIX *bin = pixConvertTo1(img->pix, 128);
	PIX *small = bin ? pixReduceRankBinaryCascade(bin, 1, 0, 0, 0) : NULL;
	if (small && pixOrientDetect(small, &upconf, &leftconf, 0, 0) == 0)
		makeOrientDecision(upconf, leftconf, 0, 0, &orient, 0);
	pixDestroy(&small);
	pixDestroy(&bin);
	switch (orient) {
	case L_TEXT_ORIENT_LEFT:
		return 90; /* text lines run bottom to top */
	case L_TEXT_ORIENT_DOWN:
		return 180;
	case L_TEXT_ORIENT_RIGHT:
		return 270;
	default:
		return 0;
	}
}

void page_image_rotate(struct page_image *img, int degrees)
{
	int quads = ((degrees % 360 + 360) % 360) / 90;
	if (!quads || !img->pix)
		return;
	PIX *rotated = pixRotateOrth(img->pix, quads);
	if (rotated) {
		pixDestroy(&img->pix);
		img->pix = rotated;
	}
}
