/*
 * acllite's declaration of the DVPP image API it binds (acldvpp* of acl/ops/acl_dvpp.h, in libacl_dvpp.so).
 * Facts from the CANN header; checked against it by tests/test_conformance.py when that header is available.
 */
/* acllite-library: acl_dvpp */
#ifndef ACLLITE_API_ACL_DVPP_H
#define ACLLITE_API_ACL_DVPP_H

#include "acl_runtime.h"

#endif
