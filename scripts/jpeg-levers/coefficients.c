#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jpeglib.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int main(int argc,char**argv){
 FILE*f=fopen(argv[1],"rb");fseek(f,0,2);long n=ftell(f);rewind(f);unsigned char*src=malloc(n);fread(src,1,n,f);fclose(f);
 int N=200; struct jpeg_error_mgr jerr; unsigned char*pix=NULL; int W=0,H=0;
 double t0=now();
 for(int i=0;i<N;i++){struct jpeg_decompress_struct c;c.err=jpeg_std_error(&jerr);jpeg_create_decompress(&c);jpeg_mem_src(&c,src,n);jpeg_read_header(&c,TRUE);c.out_color_space=JCS_EXT_BGR;jpeg_start_decompress(&c);W=c.output_width;H=c.output_height;if(!pix)pix=malloc(W*H*3);while(c.output_scanline<c.output_height){JSAMPROW r=pix+c.output_scanline*W*3;jpeg_read_scanlines(&c,&r,1);}jpeg_finish_decompress(&c);jpeg_destroy_decompress(&c);}
 double t1=now(); printf("decode %.3f ms\n",(t1-t0)/N);
 t0=now();
 for(int i=0;i<N;i++){struct jpeg_decompress_struct c;c.err=jpeg_std_error(&jerr);jpeg_create_decompress(&c);jpeg_mem_src(&c,src,n);jpeg_read_header(&c,TRUE);jvirt_barray_ptr*co=jpeg_read_coefficients(&c);
  if(i==N-1){ struct jpeg_compress_struct e;e.err=jpeg_std_error(&jerr);jpeg_create_compress(&e);unsigned char*o=NULL;unsigned long on=0;jpeg_mem_dest(&e,&o,&on);jpeg_copy_critical_parameters(&c,&e);
   double a=now(); jpeg_write_coefficients(&e,co);jpeg_finish_compress(&e); printf("write_coefficients %.3f ms (%lu bytes)\n",now()-a,on);jpeg_destroy_compress(&e);free(o);}
  jpeg_finish_decompress(&c);jpeg_destroy_decompress(&c);}
 t1=now(); printf("read_coefficients %.3f ms\n",(t1-t0)/N);
 // repeated write coefficients
 {struct jpeg_decompress_struct c;c.err=jpeg_std_error(&jerr);jpeg_create_decompress(&c);jpeg_mem_src(&c,src,n);jpeg_read_header(&c,TRUE);jvirt_barray_ptr*co=jpeg_read_coefficients(&c);
  t0=now();for(int i=0;i<N;i++){struct jpeg_compress_struct e;e.err=jpeg_std_error(&jerr);jpeg_create_compress(&e);unsigned char*o=NULL;unsigned long on=0;jpeg_mem_dest(&e,&o,&on);jpeg_copy_critical_parameters(&c,&e);jpeg_write_coefficients(&e,co);jpeg_finish_compress(&e);jpeg_destroy_compress(&e);free(o);}
  printf("write_coefficients avg %.3f ms\n",(now()-t0)/N);jpeg_finish_decompress(&c);jpeg_destroy_decompress(&c);}
 t0=now();
 for(int i=0;i<N;i++){struct jpeg_compress_struct e;e.err=jpeg_std_error(&jerr);jpeg_create_compress(&e);unsigned char*o=NULL;unsigned long on=0;jpeg_mem_dest(&e,&o,&on);e.image_width=W;e.image_height=H;e.input_components=3;e.in_color_space=JCS_EXT_BGR;jpeg_set_defaults(&e);jpeg_set_quality(&e,80,TRUE);jpeg_start_compress(&e,TRUE);while(e.next_scanline<e.image_height){JSAMPROW r=pix+e.next_scanline*W*3;jpeg_write_scanlines(&e,&r,1);}jpeg_finish_compress(&e);if(i==0)printf("q80 bytes %lu\n",on);jpeg_destroy_compress(&e);free(o);}
 t1=now(); printf("encode q80 %.3f ms\n",(t1-t0)/N);
}
