#include "server/guard.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "server/api_error.hpp"

namespace bitnet::server {

namespace {

// Compares in time that depends only on the lengths, not on where the strings differ.
bool constant_time_equal(const std::string& a, const std::string& b) {
    unsigned diff = a.size() == b.size() ? 0u : 1u;
    const size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
        const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
        const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
        diff |= static_cast<unsigned>(x ^ y);
    }
    return diff == 0;
}

bool authorized(const httplib::Request& req, const std::string& key) {
    const std::string auth = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    if (auth.compare(0, bearer.size(), bearer) == 0) return constant_time_equal(auth.substr(bearer.size()), key);
    if (req.has_header("X-Api-Key")) return constant_time_equal(req.get_header_value("X-Api-Key"), key);
    return false;
}

// httplib limits bodies with a Content-Length itself (answering 413 after skipping the body);
// chunked and compressed bodies are counted here as they arrive, decompressed.
std::string read_body(const Server::State& s, const httplib::ContentReader& reader, httplib::Response& res) {
    std::string body;
    bool too_large = false;
    const size_t limit = s.options.max_body_bytes;
    const bool ok = reader([&](const char* data, size_t n) {
        if (n > limit - body.size()) {
            too_large = true;
            return false;
        }
        body.append(data, n);
        return true;
    });
    if (too_large || res.status == 413) {
        if (too_large) res.set_header("Connection", "close");
        throw ApiError(413, strprintf("the request body is larger than the limit of %zu bytes", limit));
    }
    if (!ok) throw ApiError(400, "the request body could not be read");
    return body;
}

}  // namespace

void require_key(const Server::State& s, const httplib::Request& req) {
    if (!s.options.api_key.empty() && !authorized(req, s.options.api_key)) {
        throw ApiError(401, "invalid or missing API key (send 'Authorization: Bearer KEY')");
    }
}

void post_route(httplib::Server& http, Server::State& s, const char* path, PostHandler handle) {
    http.Post(path, [&s, handle = std::move(handle)](const httplib::Request& req, httplib::Response& res,
                                                     const httplib::ContentReader& reader) {
        const std::string body = read_body(s, reader, res);
        require_key(s, req);
        handle(req, body, res);
    });
}

}  // namespace bitnet::server
