set(SOURCES
  synth.cpp
  synth_vocab.cpp
  inspect.cpp
)
