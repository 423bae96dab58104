set(SOURCES
  loaded_model.cpp
  context.cpp
  generate.cpp
  chat.cpp
  api.cpp
  c_api.cpp
)
