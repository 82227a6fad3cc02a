//========================================================================================
// sim2model problem generator for Athena++ (BSD-3-Clause, like Athena++ itself).
//
//! \file sim2model_turb_cr.cpp
//! \brief Driven MHD turbulence with cosmic rays in a periodic box (sim2model turbulence study).
//!
//! Gas of uniform density rho0 and sound speed cs = 1 (isothermal, or adiabatic with pressure
//! P = rho0 cs^2 / gamma) starts at rest in a uniform magnetic field B0 along x (plasma beta
//! = 2 P / B0^2, Athena++ units with B^2/2 the magnetic pressure). Athena++'s FFT turbulence driver (configure -fft, <turbulence> block)
//! stirs it. Cosmic rays (configure -cr, two-moment transport of Jiang & Oh 2018) start uniform
//! with pressure Pc = Ec/3 = cr_pressure_ratio * P and move with one transport class:
//!
//!   mhd        no cosmic rays: <cr> src_flag = 0 decouples them from the gas (no CR pressure
//!              force or energy exchange) and Ec holds a floor of 1e-8 rho0 cs^2 only (zero
//!              energy makes the two-moment solver divide 0 by 0)
//!   advection  CRs advected with the gas only (the limit kappa -> 0): opacity max_opacity
//!              along and across the field, no streaming; their pressure acts on the gas
//!              (<cr> src_flag = 1). sim2model sets <cr> vflx = 1 (CR sound speed in the flux
//!              signal speeds): without it Ec grows odd-even oscillations and the run fails
//!   diffusion  diffusion along the field with coefficient kappa_par (code units L cs):
//!              opacity sigma_par = vmax / (3 kappa_par); none across the field
//!   streaming  streaming down the CR pressure gradient at the local Alfven speed (<cr> vs_flag
//!              = 1), plus diffusion along the field when kappa_par > 0
//!
//! <problem> keys: transport (mhd | advection | diffusion | streaming), rho0, beta, cr_pressure_ratio,
//! kappa_par, kappa_perp (diffusion across the field, default none). The athinput file is written by sim2model (sim2model/sims/athena_input.py).
//========================================================================================

// C++ headers
#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

// Athena++ headers
#include "../athena.hpp"
#include "../athena_arrays.hpp"
#include "../coordinates/coordinates.hpp"
#include "../cr/cr.hpp"
#include "../eos/eos.hpp"
#include "../field/field.hpp"
#include "../hydro/hydro.hpp"
#include "../mesh/mesh.hpp"
#include "../parameter_input.hpp"

#if !MAGNETIC_FIELDS_ENABLED || !CR_ENABLED
#error "sim2model_turb_cr needs configure.py -b -cr (and -fft for the turbulence driver)"
#endif

namespace {
Real sigma_par;   // CR opacity along the field (max_opacity: no diffusion)
Real sigma_perp;  // CR opacity across the field
bool streaming;   // whether CRs stream at the Alfven speed

void AlongFieldOpacity(MeshBlock *pmb, AthenaArray<Real> &u_cr, AthenaArray<Real> &prim,
                       AthenaArray<Real> &bcc);
}  // namespace

//========================================================================================
//! \fn void MeshBlock::InitUserMeshBlockData(ParameterInput *pin)
//! \brief Reads the transport class and enrolls the opacity function.
//========================================================================================
void MeshBlock::InitUserMeshBlockData(ParameterInput *pin) {
  std::string transport = pin->GetString("problem", "transport");
  Real kappa_par = pin->GetOrAddReal("problem", "kappa_par", 0.0);
  if (transport != "mhd" && transport != "advection" && transport != "diffusion"
      && transport != "streaming") {
    std::stringstream msg;
    msg << "### FATAL ERROR in sim2model_turb_cr: <problem> transport = " << transport
        << " (expected mhd, advection, diffusion or streaming)" << std::endl;
    ATHENA_ERROR(msg);
  }
  if (transport == "advection" && kappa_par != 0.0) {
    std::stringstream msg;
    msg << "### FATAL ERROR in sim2model_turb_cr: transport = advection needs <problem> "
        << "kappa_par = 0 (no diffusion)" << std::endl;
    ATHENA_ERROR(msg);
  }
  if (transport == "diffusion" && kappa_par <= 0.0) {
    std::stringstream msg;
    msg << "### FATAL ERROR in sim2model_turb_cr: transport = diffusion needs <problem> "
        << "kappa_par > 0" << std::endl;
    ATHENA_ERROR(msg);
  }
  streaming = (transport == "streaming");
  if (streaming != (pcr->stream_flag > 0)) {
    std::stringstream msg;
    msg << "### FATAL ERROR in sim2model_turb_cr: <cr> vs_flag must be 1 exactly when "
        << "transport = streaming" << std::endl;
    ATHENA_ERROR(msg);
  }
  if (transport == "advection" && pcr->src_flag == 0) {
    std::stringstream msg;
    msg << "### FATAL ERROR in sim2model_turb_cr: transport = advection needs <cr> src_flag = 1"
        << std::endl;
    ATHENA_ERROR(msg);
  }
  Real kappa_perp = pin->GetOrAddReal("problem", "kappa_perp", 0.0);
  if (transport == "advection") kappa_perp = 0.0;  // advection: no diffusion at all
  sigma_par = (transport != "mhd" && kappa_par > 0.0) ? pcr->vmax / (3.0 * kappa_par)
                                                      : pcr->max_opacity;
  sigma_perp = (transport != "mhd" && kappa_perp > 0.0) ? pcr->vmax / (3.0 * kappa_perp)
                                                        : pcr->max_opacity;
  pcr->EnrollOpacityFunction(AlongFieldOpacity);
}

//========================================================================================
//! \fn void MeshBlock::ProblemGenerator(ParameterInput *pin)
//! \brief Uniform gas at rest, uniform B along x, uniform CR energy (zero for mhd).
//========================================================================================
void MeshBlock::ProblemGenerator(ParameterInput *pin) {
  Real rho0 = pin->GetOrAddReal("problem", "rho0", 1.0);
  Real beta = pin->GetReal("problem", "beta");
  // gas pressure of sound speed cs = 1 (adiabatic: rho0 / gamma) or <hydro> iso_sound_speed
  Real pgas = NON_BAROTROPIC_EOS ? rho0 / peos->GetGamma()
                                 : rho0 * SQR(peos->GetIsoSoundSpeed());
  Real b0 = std::sqrt(2.0 * pgas / beta);
  bool mhd_only = pin->GetString("problem", "transport") == "mhd";
  if (mhd_only && pcr->src_flag != 0) {
    std::stringstream msg;
    msg << "### FATAL ERROR in sim2model_turb_cr: transport = mhd needs <cr> src_flag = 0"
        << std::endl;
    ATHENA_ERROR(msg);
  }
  Real ec0 = mhd_only ? 1.0e-8 * pgas
                      : 3.0 * pin->GetReal("problem", "cr_pressure_ratio") * pgas;

  for (int k = ks; k <= ke; ++k) {
    for (int j = js; j <= je; ++j) {
      for (int i = is; i <= ie; ++i) {
        phydro->u(IDN, k, j, i) = rho0;
        phydro->u(IM1, k, j, i) = 0.0;
        phydro->u(IM2, k, j, i) = 0.0;
        phydro->u(IM3, k, j, i) = 0.0;
        pcr->u_cr(CRE, k, j, i) = ec0;
        pcr->u_cr(CRF1, k, j, i) = 0.0;
        pcr->u_cr(CRF2, k, j, i) = 0.0;
        pcr->u_cr(CRF3, k, j, i) = 0.0;
      }
    }
  }
  for (int k = ks; k <= ke; ++k)
    for (int j = js; j <= je; ++j)
      for (int i = is; i <= ie + 1; ++i) pfield->b.x1f(k, j, i) = b0;
  for (int k = ks; k <= ke; ++k)
    for (int j = js; j <= je + 1; ++j)
      for (int i = is; i <= ie; ++i) pfield->b.x2f(k, j, i) = 0.0;
  for (int k = ks; k <= ke + 1; ++k)
    for (int j = js; j <= je; ++j)
      for (int i = is; i <= ie; ++i) pfield->b.x3f(k, j, i) = 0.0;
  pfield->CalculateCellCenteredField(pfield->b, pfield->bcc, pcoord, is, ie, js, je, ks, ke);
  if (NON_BAROTROPIC_EOS) {
    for (int k = ks; k <= ke; ++k)
      for (int j = js; j <= je; ++j)
        for (int i = is; i <= ie; ++i)
          phydro->u(IEN, k, j, i) = pgas / (peos->GetGamma() - 1.0) + 0.5 * b0 * b0;
  }

  // opacities of every cell, ghost zones included, before the first step
  for (int n = 0; n < 3; ++n)
    for (int k = 0; k < ncells3; ++k)
      for (int j = 0; j < ncells2; ++j)
        for (int i = 0; i < ncells1; ++i) {
          pcr->sigma_diff(n, k, j, i) = (n == 0) ? sigma_par : sigma_perp;
          pcr->sigma_adv(n, k, j, i) = pcr->max_opacity;
          pcr->v_adv(n, k, j, i) = 0.0;
        }
}

namespace {
//----------------------------------------------------------------------------------------
//! \brief Opacity along the local field (sigma_par) and across it (none), the direction
//! cosines of B that rotate CR fluxes into the field frame, and (streaming) the streaming
//! velocity -v_A sign(B.grad Pc) with its effective opacity, as Athena++'s default does.
void AlongFieldOpacity(MeshBlock *pmb, AthenaArray<Real> &u_cr, AthenaArray<Real> &prim,
                       AthenaArray<Real> &bcc) {
  CosmicRay *pcr = pmb->pcr;
  int il = pmb->is - 1, iu = pmb->ie + 1;
  int jl = pmb->js - 1, ju = pmb->je + 1;
  int kl = pmb->ks - 1, ku = pmb->ke + 1;
  Real invlim = 1.0 / pcr->vmax;
  for (int k = kl; k <= ku; ++k) {
    for (int j = jl; j <= ju; ++j) {
      for (int i = il; i <= iu; ++i) {
        Real bx = bcc(IB1, k, j, i), by = bcc(IB2, k, j, i), bz = bcc(IB3, k, j, i);
        Real bxy = std::sqrt(bx * bx + by * by);
        Real btot = std::sqrt(bxy * bxy + bz * bz);
        pcr->sigma_diff(0, k, j, i) = sigma_par;
        pcr->sigma_diff(1, k, j, i) = sigma_perp;
        pcr->sigma_diff(2, k, j, i) = sigma_perp;
        pcr->b_angle(0, k, j, i) = (btot > TINY_NUMBER) ? bxy / btot : 1.0;
        pcr->b_angle(1, k, j, i) = (btot > TINY_NUMBER) ? bz / btot : 0.0;
        pcr->b_angle(2, k, j, i) = (bxy > TINY_NUMBER) ? by / bxy : 0.0;
        pcr->b_angle(3, k, j, i) = (bxy > TINY_NUMBER) ? bx / bxy : 1.0;
        for (int n = 0; n < 3; ++n) {
          pcr->sigma_adv(n, k, j, i) = pcr->max_opacity;
          pcr->v_adv(n, k, j, i) = 0.0;
        }
        if (!streaming || btot < TINY_NUMBER) continue;
        // centred gradient of Pc = Ec/3 (uniform Cartesian cells of width dx)
        Real dpx = (u_cr(CRE, k, j, i + 1) - u_cr(CRE, k, j, i - 1))
                   / (6.0 * pmb->pcoord->dx1v(i));
        Real dpy = (u_cr(CRE, k, j + 1, i) - u_cr(CRE, k, j - 1, i))
                   / (6.0 * pmb->pcoord->dx2v(j));
        Real dpz = (u_cr(CRE, k + 1, j, i) - u_cr(CRE, k - 1, j, i))
                   / (6.0 * pmb->pcoord->dx3v(k));
        Real b_grad_pc = bx * dpx + by * dpy + bz * dpz;
        Real inv_sqrt_rho = 1.0 / std::sqrt(prim(IDN, k, j, i));
        Real va = btot * inv_sqrt_rho;
        Real sign = (b_grad_pc > TINY_NUMBER) ? 1.0 : ((-b_grad_pc > TINY_NUMBER) ? -1.0 : 0.0);
        pcr->v_adv(0, k, j, i) = -bx * inv_sqrt_rho * sign;
        pcr->v_adv(1, k, j, i) = -by * inv_sqrt_rho * sign;
        pcr->v_adv(2, k, j, i) = -bz * inv_sqrt_rho * sign;
        pcr->sigma_adv(0, k, j, i) = std::abs(b_grad_pc)
            / (btot * va * (4.0 / 3.0) * invlim * std::max(u_cr(CRE, k, j, i), TINY_NUMBER));
      }
    }
  }
}
}  // namespace
