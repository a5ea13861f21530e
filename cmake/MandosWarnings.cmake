# Project-wide compile options: strict warnings, optional sanitizers.
add_compile_options(-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wformat=2
                    -fno-strict-aliasing)
if(MANDOS_WERROR)
  add_compile_options(-Werror)
endif()
add_compile_definitions(_GNU_SOURCE MANDOS_VERSION="${PROJECT_VERSION}")

if(MANDOS_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_san})
  add_link_options(${_san})
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()
