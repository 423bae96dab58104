#pragma once
// An error answered with an HTTP status and the OpenAI error envelope:
//   {"error": {"message": "...", "type": "invalid_request_error", "code": 400}}
#include <stdexcept>
#include <string>

namespace bitnet::server {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

// "invalid_request_error" (400, 404, 413), "authentication_error" (401), "unavailable_error"
// (503), "server_error" (others): the `type` llama-server and OpenAI clients expect.
const char* error_type(int status);
// The envelope as JSON text.
std::string error_body(int status, const std::string& message);

}  // namespace bitnet::server
