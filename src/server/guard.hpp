#pragma once
// The checks every protected route makes before it runs: the request body is read in full (and
// bounded, whatever its transfer or content encoding), then the API key is checked. Reading the
// body first keeps the connection usable: a body left unread would be parsed as the next request
// on a kept-alive connection (a client behind nginx would receive someone else's error).
#include <httplib.h>

#include <functional>
#include <string>

#include "server/state.hpp"

namespace bitnet::server {

// Throws ApiError(401) unless the request carries the server's key (or no key is set).
void require_key(const Server::State& s, const httplib::Request& req);

// A POST route: reads the body (ApiError(413) past --max-body bytes; the connection is then
// closed, as the rest of the body was not read), checks the key, and calls `handle`.
using PostHandler = std::function<void(const httplib::Request&, const std::string& body, httplib::Response&)>;
void post_route(httplib::Server& http, Server::State& s, const char* path, PostHandler handle);

}  // namespace bitnet::server
