/* VPC's less common operations: borders, LUT maps and histograms, pyramids (not emulated yet: their functions are
 * listed in not_emulated.txt). */
#include "dvpp.h"

uint64_t dvpp_vpc_ops_release_all_locked(void) { return 0; }
uint64_t dvpp_vpc_ops_count_locked(void) { return 0; }
