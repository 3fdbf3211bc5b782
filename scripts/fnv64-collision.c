// Finds two distinct 11-character topic names with the same 64-bit FNV-1a hash (Topic.cursorKey), by a
// distinguished-point rho search on two threads: about 2^33 hashes, a few minutes on two cores. It shows why
// cursors name colliding topics in full (Cursor.references(for:)) instead of trusting 64-bit keys alone.
//   cc -O3 -o /tmp/fnv64-collision scripts/fnv64-collision.c -lpthread && /tmp/fnv64-collision
// prints: <name> <name> <shared hash in hex>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
static const char A[]="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static inline void enc(uint64_t x, char *s){ for(int i=0;i<11;i++){ s[i]=A[x&63]; x>>=6; } }
static inline uint64_t f(uint64_t x){ char s[11]; enc(x,s); uint64_t h=0xcbf29ce484222325ULL; for(int i=0;i<11;i++){ h^=(uint8_t)s[i]; h*=0x100000001b3ULL;} return h; }
#define DBITS 22
#define TSIZE (1<<24)
typedef struct { uint64_t end, start, len; } rec;
static rec *table; static pthread_mutex_t mu=PTHREAD_MUTEX_INITIALIZER; static volatile int done=0;
static void resolve(uint64_t a, uint64_t la, uint64_t b, uint64_t lb){
  while(la>lb){a=f(a);la--;} while(lb>la){b=f(b);lb--;}
  if(a==b) return; // same chain (start on other chain)
  while(1){ uint64_t fa=f(a), fb=f(b); if(fa==fb){ char s1[12]={0},s2[12]={0}; enc(a,s1); enc(b,s2); printf("%s %s %016llx\n",s1,s2,(unsigned long long)fa); fflush(stdout); done=1; return;} a=fa;b=fb; }
}
static void *worker(void *arg){
  uint64_t seed=(uint64_t)(uintptr_t)arg*0x9E3779B97F4A7C15ULL+12345;
  while(!done){
    seed = seed*6364136223846793005ULL+1442695040888963407ULL;
    uint64_t start=seed, x=seed, len=0;
    while(!done){ x=f(x); len++; if((x>>(64-DBITS))==0) break; if(len>(1ULL<<(DBITS+4))) break; }
    if(done) break; if((x>>(64-DBITS))!=0) continue;
    pthread_mutex_lock(&mu);
    uint64_t i=(x*0x9E3779B97F4A7C15ULL)>>40 & (TSIZE-1);
    while(table[i].len && table[i].end!=x) i=(i+1)&(TSIZE-1);
    if(table[i].len==0){ table[i].end=x; table[i].start=start; table[i].len=len; pthread_mutex_unlock(&mu); }
    else { rec r=table[i]; pthread_mutex_unlock(&mu); if(r.start!=start) resolve(r.start,r.len,start,len); }
  }
  return 0;
}
int main(){ table=calloc(TSIZE,sizeof(rec)); pthread_t t[2]; for(long i=0;i<2;i++) pthread_create(&t[i],0,worker,(void*)(i+1)); for(int i=0;i<2;i++) pthread_join(t[i],0); return 0; }
