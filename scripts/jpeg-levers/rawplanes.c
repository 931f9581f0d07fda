#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int main(int argc,char**argv){
 FILE*f=fopen(argv[1],"rb");fseek(f,0,2);long n=ftell(f);rewind(f);unsigned char*src=malloc(n);fread(src,1,n,f);fclose(f);
 int N=300; struct jpeg_error_mgr jerr; int W=1280,H=736;
 unsigned char*y=malloc(W*H),*u=malloc(W*H/4),*v=malloc(W*H/4);
 double t0=now();
 for(int i=0;i<N;i++){struct jpeg_decompress_struct c;c.err=jpeg_std_error(&jerr);jpeg_create_decompress(&c);jpeg_mem_src(&c,src,n);jpeg_read_header(&c,TRUE);c.raw_data_out=TRUE;jpeg_start_decompress(&c);
  int w=c.output_width;
  while(c.output_scanline<c.output_height){JSAMPROW yr[16],ur[8],vr[8];int s=c.output_scanline;for(int k=0;k<16;k++)yr[k]=y+(s+k)*W;for(int k=0;k<8;k++){ur[k]=u+(s/2+k)*(W/2);vr[k]=v+(s/2+k)*(W/2);}JSAMPARRAY p[3]={yr,ur,vr};jpeg_read_raw_data(&c,p,16);}
  jpeg_finish_decompress(&c);jpeg_destroy_decompress(&c);}
 printf("decode raw %.3f ms\n",(now()-t0)/N);
 t0=now();
 for(int i=0;i<N;i++){struct jpeg_compress_struct e;e.err=jpeg_std_error(&jerr);jpeg_create_compress(&e);unsigned char*o=NULL;unsigned long on=0;jpeg_mem_dest(&e,&o,&on);e.image_width=1280;e.image_height=720;e.input_components=3;e.in_color_space=JCS_YCbCr;jpeg_set_defaults(&e);jpeg_set_quality(&e,80,TRUE);e.raw_data_in=TRUE;e.comp_info[0].h_samp_factor=2;e.comp_info[0].v_samp_factor=2;e.comp_info[1].h_samp_factor=e.comp_info[1].v_samp_factor=e.comp_info[2].h_samp_factor=e.comp_info[2].v_samp_factor=1;
  jpeg_start_compress(&e,TRUE);while(e.next_scanline<e.image_height){JSAMPROW yr[16],ur[8],vr[8];int s=e.next_scanline;for(int k=0;k<16;k++)yr[k]=y+(s+k)*W;for(int k=0;k<8;k++){ur[k]=u+(s/2+k)*(W/2);vr[k]=v+(s/2+k)*(W/2);}JSAMPARRAY p[3]={yr,ur,vr};jpeg_write_raw_data(&e,p,16);}
  jpeg_finish_compress(&e);if(i==0)printf("bytes %lu\n",on);jpeg_destroy_compress(&e);free(o);}
 printf("encode raw q80 %.3f ms\n",(now()-t0)/N);
}
