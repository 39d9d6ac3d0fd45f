/* flightml runtime: status codes returned by every kernel and by NAME_invoke. Hand-written, C99. */
#ifndef FM_STATUS_H
#define FM_STATUS_H

typedef enum {
    FM_OK = 0,          /* success */
    FM_ERR_NULL = 1,    /* a required pointer argument was NULL */
    FM_ERR_PARAM = 2    /* a parameter is outside its documented legal range */
} fm_status_t;

static inline const char *fm_status_str(int status) {
    switch (status) {
    case FM_OK: return "ok";
    case FM_ERR_NULL: return "null pointer argument";
    case FM_ERR_PARAM: return "parameter out of range";
    default: return "unknown status";
    }
}

#endif /* FM_STATUS_H */
