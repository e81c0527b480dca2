/*
 * Loading Tesseract and Leptonica; see ocr_libs.h.
 */
#define OCR_LIBS_DEFINING
#include "pipeline/ocr_libs.h"

#include "core/dynlib.h"

/* The sonames the build compiled against (Makefile); Debian 12's by default. */
#ifndef LEPTONICA_SONAME
#define LEPTONICA_SONAME "liblept.so.5"
#endif
#ifndef TESSERACT_SONAME
#define TESSERACT_SONAME "libtesseract.so.5"
#endif

struct ocr_libs ocr_libs;

static const char *const leptonica_names[] = { LEPTONICA_FUNCTIONS(DYNLIB_NAME) };
static const char *const tesseract_names[] = { TESSERACT_FUNCTIONS(DYNLIB_NAME) };

static const struct dynlib libs[] = {
	{ LEPTONICA_SONAME, leptonica_names, DYNLIB_COUNT(leptonica_names) },
	{ TESSERACT_SONAME, tesseract_names, DYNLIB_COUNT(tesseract_names) },
};
/* Leptonica reports through stderr; our errors carry the reason instead. */
static void quiet_leptonica(void)
{
	ocr_libs.setMsgSeverity(L_SEVERITY_NONE);
}

static struct dynlib_set set = { libs,
				 DYNLIB_COUNT(libs),
				 "the libtesseract5 and liblept5 packages",
				 quiet_leptonica,
				 PTHREAD_MUTEX_INITIALIZER,
				 0 };

int ocr_libs_load(struct strbuf *err)
{
	_Static_assert(sizeof(ocr_libs) == sizeof(leptonica_names) + sizeof(tesseract_names),
		       "a slot for each name");
	struct strbuf why = STRBUF_INIT;
	int rc = dynlib_load(&set, (void **)&ocr_libs,
			     DYNLIB_COUNT(leptonica_names) + DYNLIB_COUNT(tesseract_names), &why);
	if (rc)
		strbuf_addf(err, "no OCR: %s", why.buf);
	strbuf_release(&why);
	return rc;
}
