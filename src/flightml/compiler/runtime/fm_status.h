/* flightml runtime: the one status space, returned by every kernel, by NAME_invoke and by the integrity
 * functions (integrity.c: self-test, scrub, voted inference). Hand-written, C99. */
#ifndef FM_STATUS_H
#define FM_STATUS_H

typedef enum {
    FM_OK = 0,              /* success */
    FM_ERR_NULL = 1,        /* a required pointer argument was NULL */
    FM_ERR_PARAM = 2,       /* a parameter is outside its documented legal range */
    FM_ERR_CRC = 16,        /* the constant image does not match its CRC-32 */
    FM_ERR_VOTE = 17,       /* redundant inferences disagree on the class (no majority) */
    FM_VOTE_CORRECTED = 18  /* 3 runs, one outvoted: the output is the majority's (a warning, not an error) */
} fm_status_t;

static inline const char *fm_status_str(fm_status_t status) {
    switch (status) {
    case FM_OK: return "ok";
    case FM_ERR_NULL: return "null pointer argument";
    case FM_ERR_PARAM: return "parameter out of range";
    case FM_ERR_CRC: return "constant image CRC-32 mismatch";
    case FM_ERR_VOTE: return "redundant inferences disagree";
    case FM_VOTE_CORRECTED: return "one redundant inference outvoted";
    default: return "unknown status";
    }
}

#endif /* FM_STATUS_H */
