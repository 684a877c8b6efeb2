#include <isa-l/igzip_lib.h>
#include <isa-l/crc.h>

/// The level buffer igzip needs for `level` (its ISAL_DEF_LVLn_DEFAULT macros are not importable).
static inline uint32_t strata_isal_level_buffer_size(uint32_t level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return 0;
    }
}
