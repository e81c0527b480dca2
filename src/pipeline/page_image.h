/*
 * Page images for OCR: a PDF page rendered by MuPDF to 8-bit gray at the
 * configured dpi, or a page of an image file (PNG, JPEG, TIFF, multi-page
 * TIFF too) read by Leptonica at its own resolution; PNGs a band of rows
 * at a time, straight into gray (the same pixels, a quarter of the memory
 * of a colour one).  Sizes are checked against the limits before any pixel
 * is allocated.
 */
#ifndef PIPELINE_PAGE_IMAGE_H
#define PIPELINE_PAGE_IMAGE_H

#include "core/config.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"

struct Pix;

/* One per thread: owns a MuPDF context cloned from a shared, locked one. */
struct page_loader;

struct page_loader_pool;
/* The shared MuPDF context and its locks, for up to `threads` loaders. */
struct page_loader_pool *page_loader_pool_new(void);
void page_loader_pool_free(struct page_loader_pool *pool);
struct page_loader *page_loader_new(struct page_loader_pool *pool);
void page_loader_free(struct page_loader *pl);

struct page_image {
	struct Pix *pix; /* 8-bit gray */
	int dpi;
	char hash[SHA256_HEX_LEN + 1]; /* of the pixels: the OCR cache key's base */
};

/* Number of pages of an image file, from its headers only. */
int image_page_count(const char *path, enum doc_type type, int *pages, struct strbuf *err);

/*
 * Load page `page_no` (1-based) of `path` as a gray image.  Fails with a
 * reason ("page is 60000 x 60000 pixels, over ocr.max_megapixels (250)")
 * when over a limit, unreadable or undecodable.
 */
int page_image_load(struct page_loader *pl, const char *path, enum doc_type type, int page_no,
		    const struct config *cfg, struct page_image *out, struct strbuf *err);
void page_image_release(struct page_image *img);

/*
 * The clockwise rotation (0, 90, 180, 270) that makes the text upright,
 * or 0 when unsure.  Leptonica's detector (ascenders against descenders
 * of Latin text), not Tesseract's OSD: an OSD handle beside a recognition
 * handle double-frees memory in Tesseract 5.3 (seen under AddressSanitizer).
 */
int page_image_upright_rotation(const struct page_image *img);
/* Rotate by a multiple of 90 degrees clockwise, in place. */
void page_image_rotate(struct page_image *img, int degrees);

#endif
