/* What ferry_jpeg.c shares with ferry_jpeg_split.c. */
#ifndef FERRY_JPEG_H
#define FERRY_JPEG_H

/* Bytes the input buffer holds past the JPEG, so a reader can run into a marker there. */
#define FERRY_JPEG_INPUT_PAD 16

/* The input buffer (ferry_jpeg_input). */
unsigned char *ferry_jpeg_input_data(void);
/* The output buffer, grown to `needed` bytes (NULL when out of memory). */
unsigned char *ferry_jpeg_output(unsigned long needed);
/* Records the size of the image in the output buffer (info[4], info[5]). */
void ferry_jpeg_set_output_size(int width, int height);

#endif
