// Minimal .npy reader/writer for the CPU harness: little-endian float32/float64, C order, version 1.x/2.x.
// Arrays are always handed to the kernels as float32.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

struct NpyArray {
    std::vector<long long> shape;
    std::vector<float> data;
    long long dim(int i) const { return shape.at(i); }
};

inline NpyArray npy_read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    char magic[8];
    in.read(magic, 8);
    if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("not an npy file: " + path);
    uint32_t hlen = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        in.read(reinterpret_cast<char*>(b), 2);
        hlen = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        in.read(reinterpret_cast<char*>(b), 4);
        hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
    }
    std::string header(hlen, '\0');
    in.read(header.data(), hlen);
    if (header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error("only C-order npy is supported: " + path);
    bool f64;
    if (header.find("'<f4'") != std::string::npos) f64 = false;
    else if (header.find("'<f8'") != std::string::npos) f64 = true;
    else throw std::runtime_error("only <f4 and <f8 npy are supported: " + path);
    NpyArray a;
    const size_t open = header.find('(', header.find("'shape'"));
    const size_t close = header.find(')', open);
    std::string dims = header.substr(open + 1, close - open - 1);
    size_t pos = 0;
    while (pos < dims.size()) {
        const size_t comma = dims.find(',', pos);
        const std::string tok = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (tok.find_first_of("0123456789") != std::string::npos) a.shape.push_back(std::stoll(tok));
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    long long count = 1;
    for (long long d : a.shape) count *= d;
    a.data.resize(count);
    if (f64) {
        std::vector<double> tmp(count);
        in.read(reinterpret_cast<char*>(tmp.data()), count * 8);
        for (long long i = 0; i < count; ++i) a.data[i] = static_cast<float>(tmp[i]);
    } else {
        in.read(reinterpret_cast<char*>(a.data.data()), count * 4);
    }
    if (!in) throw std::runtime_error("truncated npy file: " + path);
    return a;
}

inline void npy_write(const std::string& path, const std::vector<long long>& shape, const float* data) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    long long count = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
        count *= shape[i];
    }
    dict += "), }";
    // Magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64.
    const size_t total = ((10 + dict.size() + 1 + 63) / 64) * 64;
    dict.append(total - 10 - dict.size() - 1, ' ');
    dict += '\n';
    std::ofstream out(path, std::ios::binary);
    const char head[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.write(head, 8);
    const uint16_t hl = static_cast<uint16_t>(dict.size());
    const char hb[2] = {static_cast<char>(hl & 0xff), static_cast<char>(hl >> 8)};
    out.write(hb, 2);
    out.write(dict.data(), dict.size());
    out.write(reinterpret_cast<const char*>(data), count * 4);
    if (!out) throw std::runtime_error("cannot write " + path);
}
