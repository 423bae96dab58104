# The tokenizer tests read the JSON-lines vectors with nlohmann_json.
target_link_libraries(test_tokenizer PRIVATE nlohmann_json::nlohmann_json)
