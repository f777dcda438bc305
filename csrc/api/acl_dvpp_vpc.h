/*
 * acllite's declaration of the VPC's less common operations (acl/ops/acl_dvpp.h, in libacl_dvpp.so): batches
 * of pictures, borders, LUT maps and histograms, pyramid down-scaling. Facts from the CANN header; checked against
 * it by tests/test_conformance.py when that header is available.
 */
/* acllite-library: acl_dvpp */
#ifndef ACLLITE_API_ACL_DVPP_VPC_H
#define ACLLITE_API_ACL_DVPP_VPC_H

#include "acl_dvpp.h"

/* Opaque objects: a batch of picture descriptions, a border configuration, a LUT map, a histogram. */
typedef struct acldvppBatchPicDesc acldvppBatchPicDesc;
typedef struct acldvppBorderConfig acldvppBorderConfig;
typedef struct acldvppLutMap acldvppLutMap;
typedef struct acldvppHist acldvppHist;

/* How acldvppVpcMakeBorderAsync fills a border. */
typedef enum {
    BORDER_CONSTANT = 0,
    BORDER_REPLICATE = 1,
    BORDER_REFLECT = 2,
    BORDER_REFLECT_101 = 3
} acldvppBorderType;

/* ---- batches of picture descriptions ---- */
acldvppBatchPicDesc *acldvppCreateBatchPicDesc(uint32_t batchSize);
acldvppPicDesc *acldvppGetPicDesc(acldvppBatchPicDesc *batchPicDesc, uint32_t index);
aclError acldvppDestroyBatchPicDesc(acldvppBatchPicDesc *batchPicDesc);

/* ---- VPC on batches ---- */
aclError acldvppVpcBatchCropAsync(acldvppChannelDesc *channelDesc, acldvppBatchPicDesc *srcBatchPicDescs,
                                  uint32_t *roiNums, uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                  acldvppRoiConfig *cropAreas[], aclrtStream stream);
aclError acldvppVpcBatchCropResizeAsync(acldvppChannelDesc *channelDesc, acldvppBatchPicDesc *srcBatchPicDescs,
                                        uint32_t *roiNums, uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                        acldvppRoiConfig *cropAreas[], acldvppResizeConfig *resizeConfig,
                                        aclrtStream stream);
aclError acldvppVpcBatchCropAndPasteAsync(acldvppChannelDesc *channelDesc, acldvppBatchPicDesc *srcBatchPicDescs,
                                          uint32_t *roiNums, uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                          acldvppRoiConfig *cropAreas[], acldvppRoiConfig *pasteAreas[],
                                          aclrtStream stream);
aclError acldvppVpcBatchCropResizePasteAsync(acldvppChannelDesc *channelDesc, acldvppBatchPicDesc *srcBatchPicDescs,
                                             uint32_t *roiNums, uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                             acldvppRoiConfig *cropAreas[], acldvppRoiConfig *pasteAreas[],
                                             acldvppResizeConfig *resizeConfig, aclrtStream stream);
aclError acldvppVpcBatchCropResizeMakeBorderAsync(acldvppChannelDesc *channelDesc,
                                                  acldvppBatchPicDesc *srcBatchPicDescs, uint32_t *roiNums,
                                                  uint32_t size, acldvppBatchPicDesc *dstBatchPicDescs,
                                                  acldvppRoiConfig *cropAreas[], acldvppBorderConfig *borderCfgs[],
                                                  acldvppResizeConfig *resizeConfig, aclrtStream stream);

/* ---- border configurations, and making borders ---- */
acldvppBorderConfig *acldvppCreateBorderConfig(void);
aclError acldvppSetBorderConfigValue(acldvppBorderConfig *borderConfig, uint32_t index, double value);
aclError acldvppSetBorderConfigBorderType(acldvppBorderConfig *borderConfig, acldvppBorderType borderType);
aclError acldvppSetBorderConfigTop(acldvppBorderConfig *borderConfig, uint32_t top);
aclError acldvppSetBorderConfigBottom(acldvppBorderConfig *borderConfig, uint32_t bottom);
aclError acldvppSetBorderConfigLeft(acldvppBorderConfig *borderConfig, uint32_t left);
aclError acldvppSetBorderConfigRight(acldvppBorderConfig *borderConfig, uint32_t right);
double acldvppGetBorderConfigValue(const acldvppBorderConfig *borderConfig, uint32_t index);
acldvppBorderType acldvppGetBorderConfigBorderType(const acldvppBorderConfig *borderConfig);
uint32_t acldvppGetBorderConfigTop(const acldvppBorderConfig *borderConfig);
uint32_t acldvppGetBorderConfigBottom(const acldvppBorderConfig *borderConfig);
uint32_t acldvppGetBorderConfigLeft(const acldvppBorderConfig *borderConfig);
uint32_t acldvppGetBorderConfigRight(const acldvppBorderConfig *borderConfig);
aclError acldvppDestroyBorderConfig(acldvppBorderConfig *borderConfig);
aclError acldvppVpcMakeBorderAsync(const acldvppChannelDesc *channelDesc, const acldvppPicDesc *inputDesc,
                                   acldvppPicDesc *outputDesc, const acldvppBorderConfig *borderConfig,
                                   aclrtStream stream);

/* ---- LUT maps and histograms ---- */
acldvppLutMap *acldvppCreateLutMap(void);
aclError acldvppDestroyLutMap(acldvppLutMap *lutMap);
uint32_t acldvppGetLutMapDims(const acldvppLutMap *lutMap);
aclError acldvppGetLutMapData(const acldvppLutMap *lutMap, uint32_t dim, uint8_t **data, uint32_t *len);
aclError acldvppVpcEqualizeHistAsync(const acldvppChannelDesc *channelDesc, const acldvppPicDesc *inputDesc,
                                     acldvppPicDesc *outputDesc, const acldvppLutMap *lutMap, aclrtStream stream);
aclError acldvppVpcCalcHistAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *srcPicDesc, acldvppHist *hist,
                                 void *reserve, aclrtStream stream);
acldvppHist *acldvppCreateHist(void);
aclError acldvppDestroyHist(acldvppHist *hist);
uint32_t acldvppGetHistDims(acldvppHist *hist);
aclError acldvppGetHistData(acldvppHist *hist, uint32_t dim, uint32_t **data, uint16_t *len);
uint32_t acldvppGetHistRetCode(acldvppHist *hist);
aclError acldvppClearHist(acldvppHist *hist);

/* ---- pyramid down-scaling ---- */
aclError acldvppVpcPyrDownAsync(acldvppChannelDesc *channelDesc, acldvppPicDesc *inputDesc, acldvppPicDesc *outputDesc,
                                void *reserve, aclrtStream stream);

#endif
