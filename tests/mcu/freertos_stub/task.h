/* Test stub, NOT FreeRTOS: the task API subset flightml's infer_task.c uses (signatures as in
 * FreeRTOS 10/11 task.h). */
#ifndef FLIGHTML_FREERTOS_STUB_TASK_H
#define FLIGHTML_FREERTOS_STUB_TASK_H
#include "FreeRTOS.h"

typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);

TaskHandle_t xTaskCreateStatic(TaskFunction_t pxTaskCode, const char *const pcName, const uint32_t ulStackDepth,
                               void *const pvParameters, UBaseType_t uxPriority, StackType_t *const puxStackBuffer,
                               StaticTask_t *const pxTaskBuffer);
void vTaskDelayUntil(TickType_t *const pxPreviousWakeTime, const TickType_t xTimeIncrement);
TickType_t xTaskGetTickCount(void);
#endif
