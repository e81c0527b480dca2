/*
 * Loading Tesseract and Leptonica; see ocr_libs.h.
 */
#define OCR_LIBS_DEFINING
#include "pipeline/ocr_libs.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>


/* The sonames the build saw (Makefile); Debian 12's by default. */
#ifndef LEPTONICA_SONAME
#define LEPTONICA_SONAME "liblept.so.5"
#endif
#ifndef TESSERACT_SONAME
#define TESSERACT_SONAME "libtesseract.so.5"
#endif

struct ocr_libs ocr_libs;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];

/* Each name from `lib`, or the first one missing into load_error. */
static int resolve(void *lib, const char *soname, const char *const *names, void **slots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		slots[i] = dlsym(lib, names[i]);
		if (!slots[i]) {
			snprintf(load_error, sizeof(load_error), "%s has no function %s", soname,
				 names[i]);
			return -1;
		}
	}
	return 0;
}

static void load(void)
{
	static const char *const lept_names[] = {
#define NAME(f) #f,
		LEPTONICA_FUNCTIONS(NAME)
	};
	static const char *const tess_names[] = { TESSERACT_FUNCTIONS(NAME) };
#undef NAME
	struct ocr_libs found;
	void **slots = (void **)&found;
	size_t nlept = sizeof(lept_names) / sizeof(lept_names[0]);
	size_t ntess = sizeof(tess_names) / sizeof(tess_names[0]);
	_Static_assert(sizeof(found) == sizeof(lept_names) + sizeof(tess_names), "a slot for each name");
	/* Never closed: their threads and atexit handlers live as long as the process. */
	void *lept = dlopen(LEPTONICA_SONAME, RTLD_NOW | RTLD_LOCAL);
	void *tess = lept ? dlopen(TESSERACT_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!lept || !tess) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	if (resolve(lept, LEPTONICA_SONAME, lept_names, slots, nlept) ||
	    resolve(tess, TESSERACT_SONAME, tess_names, slots + nlept, ntess))
		return;
	ocr_libs = found;
	/* Leptonica reports through stderr; our errors carry the reason instead. */
	ocr_libs.setMsgSeverity(L_SEVERITY_NONE);
}

int ocr_libs_load(struct strbuf *err)
{
	pthread_once(&once, load);
	if (!*load_error)
		return 0;
	strbuf_addf(err,
		    "cannot load the OCR libraries: %s (install the libtesseract5 and liblept5 "
		    "packages)",
		    load_error);
	return -1;
}
