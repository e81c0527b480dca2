/* The version, shown by `ragops version` and kept in run records. */
#ifndef CORE_VERSION_H
#define CORE_VERSION_H

#define RAGOPS_VERSION "0.1.0"

#endif
