/* Test stub, NOT FreeRTOS: declares only the types and macros flightml's infer_task.c uses, so the
 * task compiles with -Werror in flightml's tests. Real projects use FreeRTOS's own FreeRTOS.h. */
#ifndef FLIGHTML_FREERTOS_STUB_H
#define FLIGHTML_FREERTOS_STUB_H
#include <stdint.h>

typedef uint32_t TickType_t;
typedef unsigned long UBaseType_t;
typedef long BaseType_t;
typedef uint32_t StackType_t;
typedef struct {
    void *reserved[24];
} StaticTask_t;

#define configTICK_RATE_HZ ((TickType_t)1000)
#define pdMS_TO_TICKS(xTimeInMs) ((TickType_t)(((TickType_t)(xTimeInMs) * (TickType_t)configTICK_RATE_HZ) / (TickType_t)1000U))
#endif
