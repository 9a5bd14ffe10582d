OPUS_HEAD = \
include/opus.h \
include/opus_multistream.h \
include/opus_projection.h \
src/opus_private.h \
src/analysis.h \
src/mapping_matrix.h \
src/mlp.h \
src/tansig_table.h
