/*
 * Tesseract and Leptonica, loaded when a page is first read rather than
 * when the program starts.  Linked, they and their own libraries (about
 * 20 of them, with OpenMP) are loaded and relocated by every command,
 * `ragops status` as much as a run over scans: ~7 ms each time, in every
 * parser worker too.
 *
 * A file that calls them includes this header after theirs: the names
 * below then go through the table (as OpenGL loaders do), so the calls
 * read as the libraries document them and keep their prototypes.  Before
 * the first call, ocr_libs_load must have succeeded.
 */
#ifndef PIPELINE_OCR_LIBS_H
#define PIPELINE_OCR_LIBS_H

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "core/strbuf.h"

/* clang-format off */
#define LEPTONICA_FUNCTIONS(X)        \
	X(makeOrientDecision)         \
	X(pixClone)                   \
	X(pixConvertTo1)              \
	X(pixConvertTo8)              \
	X(pixCreate)                  \
	X(pixDestroy)                 \
	X(pixGetColormap)             \
	X(pixGetData)                 \
	X(pixGetDepth)                \
	X(pixGetHeight)               \
	X(pixGetWidth)                \
	X(pixGetWpl)                  \
	X(pixGetXRes)                 \
	X(pixOrientDetect)            \
	X(pixRead)                    \
	X(pixReadHeader)              \
	X(pixReadTiff)                \
	X(pixReduceRankBinaryCascade) \
	X(pixRotateOrth)              \
	X(pixSetColormap)             \
	X(pixSetSpp)                  \
	X(pixcmapAddColor)            \
	X(pixcmapCreate)              \
	X(readHeaderTiff)             \
	X(setMsgSeverity)             \
	X(tiffGetCount)

#define TESSERACT_FUNCTIONS(X)               \
	X(TessBaseAPIClear)                  \
	X(TessBaseAPICreate)                 \
	X(TessBaseAPIDelete)                 \
	X(TessBaseAPIEnd)                    \
	X(TessBaseAPIGetInputImage)          \
	X(TessBaseAPIGetIterator)            \
	X(TessBaseAPIInit3)                  \
	X(TessBaseAPIRecognize)              \
	X(TessBaseAPISetImage2)              \
	X(TessBaseAPISetPageSegMode)         \
	X(TessBaseAPISetSourceResolution)    \
	X(TessBaseAPISetVariable)            \
	X(TessDeleteText)                    \
	X(TessMonitorCreate)                 \
	X(TessMonitorDelete)                 \
	X(TessMonitorSetCancelFunc)          \
	X(TessMonitorSetCancelThis)          \
	X(TessPageIteratorBoundingBox)       \
	X(TessPageIteratorIsAtBeginningOf)   \
	X(TessResultIteratorConfidence)      \
	X(TessResultIteratorDelete)          \
	X(TessResultIteratorGetPageIterator) \
	X(TessResultIteratorGetUTF8Text)     \
	X(TessResultIteratorNext)            \
	X(TessVersion)
/* clang-format on */

struct ocr_libs {
#define OCR_LIBS_SLOT(name) __typeof__(&name) name;
	LEPTONICA_FUNCTIONS(OCR_LIBS_SLOT)
	TESSERACT_FUNCTIONS(OCR_LIBS_SLOT)
#undef OCR_LIBS_SLOT
};
extern struct ocr_libs ocr_libs;

/* Load both libraries (once, from any thread); -1 with the reason and the package to install. */
int ocr_libs_load(struct strbuf *err);

#ifndef OCR_LIBS_DEFINING
#define makeOrientDecision                (ocr_libs.makeOrientDecision)
#define pixClone                          (ocr_libs.pixClone)
#define pixConvertTo1                     (ocr_libs.pixConvertTo1)
#define pixConvertTo8                     (ocr_libs.pixConvertTo8)
#define pixCreate                         (ocr_libs.pixCreate)
#define pixDestroy                        (ocr_libs.pixDestroy)
#define pixGetColormap                    (ocr_libs.pixGetColormap)
#define pixGetData                        (ocr_libs.pixGetData)
#define pixGetDepth                       (ocr_libs.pixGetDepth)
#define pixGetHeight                      (ocr_libs.pixGetHeight)
#define pixGetWidth                       (ocr_libs.pixGetWidth)
#define pixGetWpl                         (ocr_libs.pixGetWpl)
#define pixGetXRes                        (ocr_libs.pixGetXRes)
#define pixOrientDetect                   (ocr_libs.pixOrientDetect)
#define pixRead                           (ocr_libs.pixRead)
#define pixReadHeader                     (ocr_libs.pixReadHeader)
#define pixReadTiff                       (ocr_libs.pixReadTiff)
#define pixReduceRankBinaryCascade        (ocr_libs.pixReduceRankBinaryCascade)
#define pixRotateOrth                     (ocr_libs.pixRotateOrth)
#define pixSetColormap                    (ocr_libs.pixSetColormap)
#define pixSetSpp                         (ocr_libs.pixSetSpp)
#define pixcmapAddColor                   (ocr_libs.pixcmapAddColor)
#define pixcmapCreate                     (ocr_libs.pixcmapCreate)
#define readHeaderTiff                    (ocr_libs.readHeaderTiff)
#define setMsgSeverity                    (ocr_libs.setMsgSeverity)
#define tiffGetCount                      (ocr_libs.tiffGetCount)
#define TessBaseAPIClear                  (ocr_libs.TessBaseAPIClear)
#define TessBaseAPICreate                 (ocr_libs.TessBaseAPICreate)
#define TessBaseAPIDelete                 (ocr_libs.TessBaseAPIDelete)
#define TessBaseAPIEnd                    (ocr_libs.TessBaseAPIEnd)
#define TessBaseAPIGetInputImage          (ocr_libs.TessBaseAPIGetInputImage)
#define TessBaseAPIGetIterator            (ocr_libs.TessBaseAPIGetIterator)
#define TessBaseAPIInit3                  (ocr_libs.TessBaseAPIInit3)
#define TessBaseAPIRecognize              (ocr_libs.TessBaseAPIRecognize)
#define TessBaseAPISetImage2              (ocr_libs.TessBaseAPISetImage2)
#define TessBaseAPISetPageSegMode         (ocr_libs.TessBaseAPISetPageSegMode)
#define TessBaseAPISetSourceResolution    (ocr_libs.TessBaseAPISetSourceResolution)
#define TessBaseAPISetVariable            (ocr_libs.TessBaseAPISetVariable)
#define TessDeleteText                    (ocr_libs.TessDeleteText)
#define TessMonitorCreate                 (ocr_libs.TessMonitorCreate)
#define TessMonitorDelete                 (ocr_libs.TessMonitorDelete)
#define TessMonitorSetCancelFunc          (ocr_libs.TessMonitorSetCancelFunc)
#define TessMonitorSetCancelThis          (ocr_libs.TessMonitorSetCancelThis)
#define TessPageIteratorBoundingBox       (ocr_libs.TessPageIteratorBoundingBox)
#define TessPageIteratorIsAtBeginningOf   (ocr_libs.TessPageIteratorIsAtBeginningOf)
#define TessResultIteratorConfidence      (ocr_libs.TessResultIteratorConfidence)
#define TessResultIteratorDelete          (ocr_libs.TessResultIteratorDelete)
#define TessResultIteratorGetPageIterator (ocr_libs.TessResultIteratorGetPageIterator)
#define TessResultIteratorGetUTF8Text     (ocr_libs.TessResultIteratorGetUTF8Text)
#define TessResultIteratorNext            (ocr_libs.TessResultIteratorNext)
#define TessVersion                       (ocr_libs.TessVersion)
#endif

#endif
