#include <cstdio>

int main() {
    std::puts("bitnet");
    return 0;
}
