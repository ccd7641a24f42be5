# cairn_add_test(name SOURCES a.cc b.cc LIBS lib1 lib2 [LABELS l])
# One executable per test file group; each gtest case becomes a ctest test.
function(cairn_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} cairn_testing GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
  # The sanitizer run (scripts/test-asan.sh, target cairn-asan-suite) builds every test
  # but the end-to-end ones.
  if(NOT "e2e" IN_LIST ARG_LABELS)
    set_property(GLOBAL APPEND PROPERTY CAIRN_SANITIZER_TESTS ${name})
  endif()
endfunction()
