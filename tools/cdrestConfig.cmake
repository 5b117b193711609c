# SPDX-License-Identifier: MIT
# find_package(cdrest CONFIG) for an installed cdrest: the header-only target cdrest::cdrest
# (include directory, C99, BearSSL). Set CDREST_NO_TLS to ON before find_package for a
# plain-http build without BearSSL. CDREST_EXECUTABLE names the installed tool, if any.
# Installed as <prefix>/lib/cmake/cdrest/cdrestConfig.cmake by cmake --install and make install.
get_filename_component(_cdrest_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT EXISTS "${_cdrest_prefix}/include/cdrest.h")
  set(cdrest_FOUND FALSE)
  set(cdrest_NOT_FOUND_MESSAGE "cdrest.h is not in ${_cdrest_prefix}/include")
  return()
endif()
if(NOT TARGET cdrest::cdrest)
  add_library(cdrest::cdrest INTERFACE IMPORTED)
  set_target_properties(cdrest::cdrest PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_cdrest_prefix}/include"
    INTERFACE_COMPILE_FEATURES c_std_99)
  if(CDREST_NO_TLS)
    set_property(TARGET cdrest::cdrest PROPERTY INTERFACE_COMPILE_DEFINITIONS CDREST_NO_TLS)
  else()
    set_property(TARGET cdrest::cdrest PROPERTY INTERFACE_LINK_LIBRARIES bearssl)
  endif()
endif()
if(EXISTS "${_cdrest_prefix}/bin/cdrest")
  set(CDREST_EXECUTABLE "${_cdrest_prefix}/bin/cdrest")
endif()
unset(_cdrest_prefix)
