#pragma once
// Scalar reference row codecs, one file per format (f32/f16/bf16, q8_0, q6_k, tq1_0, tq2_0,
// i2_s, iq2_bn, iq1_bn). `n` is the number of elements and a multiple of the format's block size.
#include <cstdint>

namespace bitnet {

void dequantize_row_f32(const void* src, float* dst, int64_t n);
void dequantize_row_f16(const void* src, float* dst, int64_t n);
void dequantize_row_bf16(const void* src, float* dst, int64_t n);
void quantize_row_f32(const float* src, void* dst, int64_t n);
void quantize_row_f16(const float* src, void* dst, int64_t n);
void quantize_row_bf16(const float* src, void* dst, int64_t n);

void dequantize_row_q8_0(const void* src, float* dst, int64_t n);
void quantize_row_q8_0(const float* src, void* dst, int64_t n);

void dequantize_row_q6_k(const void* src, float* dst, int64_t n);
void quantize_row_q6_k(const float* src, void* dst, int64_t n);

void dequantize_row_tq1_0(const void* src, float* dst, int64_t n);
void quantize_row_tq1_0(const float* src, void* dst, int64_t n);

void dequantize_row_tq2_0(const void* src, float* dst, int64_t n);
void quantize_row_tq2_0(const float* src, void* dst, int64_t n);

// IQ2_BN / IQ1_BN rows start with their scale (iq_bn.hpp); `src` is the row start.
void dequantize_row_iq2_bn(const void* src, float* dst, int64_t n);
void quantize_row_iq2_bn(const float* src, void* dst, int64_t n);
void dequantize_row_iq1_bn(const void* src, float* dst, int64_t n);
void quantize_row_iq1_bn(const float* src, void* dst, int64_t n);

// I2_S rows carry no scale: `scale` is the tensor's (see i2s_scale in ternary.hpp).
void dequantize_row_i2s(const void* src, float* dst, int64_t n, float scale);

}  // namespace bitnet
